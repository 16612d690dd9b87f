/**
 * The model card (models/<id>/README.md), rendered from the manifest entry so
 * the card and the manifest cannot disagree: what the model was trained on, for
 * how long, its licence, its files and its measured quality.
 */
import type { Metric, ModelEntry } from "../../models/schema.ts";

function mb(bytes: number): string {
  return (bytes / 1e6).toFixed(2);
}

function duration(seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.round((seconds % 3600) / 60);
  return h > 0 ? `${h} h ${m} min` : `${m} min`;
}

function fmt(v: number): string {
  return Math.abs(v) >= 10 ? v.toFixed(2) : v.toFixed(4);
}

function metricRows(metrics: Metric[]): string[] {
  if (metrics.length === 0) return ["Not measured yet."];
  const baselines = [...new Set(metrics.flatMap((m) => Object.keys(m.baselines)))];
  const head = `| metric | on | model | ${baselines.join(" | ")} | beats all baselines |`;
  const rule = `|${" --- |".repeat(4 + baselines.length)}`;
  const rows = metrics.map((m) => {
    const base = baselines.map((b) => (m.baselines[b] === undefined ? "-" : fmt(m.baselines[b])));
    const values = Object.values(m.baselines);
    const beats = values.every((b) => (m.better === "higher" ? m.value > b : m.value < b));
    return `| ${m.name} (${m.better} is better) | ${m.on} | ${fmt(m.value)} | ${base.join(" | ")} | ${values.length ? (beats ? "yes" : "no") : "-"} |`;
  });
  return [head, rule, ...rows, ...gateLines(metrics)];
}

/** Each gate a metric was judged against (training/eval/gates.ts), pass or fail with its numbers. */
function gateLines(metrics: Metric[]): string[] {
  const gated = metrics.filter((m) => m.gate);
  if (gated.length === 0) return [];
  return [
    "",
    "Quality gates (checked by `npm run eval`):",
    "",
    ...gated.map(({ gate, direction, name }) => {
      const g = gate as NonNullable<Metric["gate"]>;
      return `- ${direction ? `${direction} ` : ""}${name}: **${g.passed ? "pass" : "FAIL"}**, ${g.measured} (required: ${g.rule})`;
    }),
  ];
}

function provenanceLines(entry: ModelEntry): string[] {
  const p = entry.provenance;
  if (p.kind === "imported") {
    return [
      `Imported from the reference checkpoint \`${p.source}\` (sha256 ${p.sha256}) on ${p.date}.`,
    ];
  }
  const c = p.config;
  const keys = [
    "netG",
    "ngf",
    "upsample",
    "input_skip",
    "netD",
    "ndf",
    "preprocess",
    "load_size",
    "crop_size",
    "lambda_A",
    "lambda_B",
    "lambda_identity",
    "gan_mode",
    "seed",
  ];
  const opts = keys.filter((k) => c[k] !== undefined).map((k) => `\`--${k} ${String(c[k])}\``);
  return [
    `- Dataset: \`${p.dataset.name}\` (${p.dataset.trainA} A and ${p.dataset.trainB} B training images), ${p.dataset.source}`,
    `- Training: ${p.iterations} iterations (${p.epochs} epochs) in ${duration(p.wallSeconds)} on ${p.backend}, finished ${p.date}`,
    `- Options: ${opts.join(" ")}`,
  ];
}

const GRID_CAPTION = {
  rows: "inputs in the top row, each output under its input",
  columns: "inputs on the left, each output to the right of its input",
} as const;

/**
 * A direction's grid picture where the export made one; the pairs one by one
 * only for directions without (entries exported before grids). The pairs stay
 * in the manifest either way: the site shows them.
 */
function sampleLines(entry: ModelEntry): string[] {
  const grids = entry.sampleGrids ?? [];
  const pairs = entry.samples.filter((s) => !grids.some((g) => g.direction === s.direction));
  if (grids.length + pairs.length === 0) return [];
  return [
    "",
    "## Samples (made by the exported model)",
    "",
    ...grids.flatMap((g) => [
      `${g.direction}, ${g.count} samples (${GRID_CAPTION[g.layout]}):`,
      "",
      `![${g.direction} samples](${g.file})`,
      "",
    ]),
    ...pairs.flatMap((s) => [`${s.direction}: ![input](${s.input}) ![output](${s.output})`, ""]),
  ];
}

export function renderCard(entry: ModelEntry): string {
  const lines: string[] = [
    `# ${entry.title}`,
    "",
    entry.description,
    "",
    ...(["A", "B"] as const).map((side) => {
      const d = entry.domains[side];
      return `- ${side}: **${d.name}**${d.description ? `: ${d.description}` : ""}`;
    }),
    "",
    "## Training",
    "",
    ...provenanceLines(entry),
    "",
    "## Quality",
    "",
    ...metricRows(entry.metrics),
    "",
    "## Files",
    "",
    "| direction | dtype | file | MB | max abs diff vs float32 model | PSNR dB | providers |",
    "| --- | --- | --- | --- | --- | --- | --- |",
  ];
  for (const g of entry.generators) {
    for (const v of g.variants) {
      lines.push(
        `| ${g.direction} | ${v.dtype} | \`${v.file}\` | ${mb(v.bytes)} | ${v.check.maxAbsDiff.toExponential(1)} | ${v.check.psnrDb.toFixed(1)} | ${v.providers.join(", ")}${v.requires.length ? ` (needs ${v.requires.join(", ")})` : ""} |`,
      );
    }
  }
  const g0 = entry.generators[0];
  if (g0) {
    lines.push(
      "",
      `Generator: \`${g0.architecture.netG}\`, ngf ${g0.architecture.ngf}, ${g0.architecture.params.toLocaleString("en-US")} parameters, ${(g0.architecture.macs256 / 1e9).toFixed(2)} G multiply-adds per 256x256 image. Input and output: NCHW float32 in [-1, 1], sides multiples of ${g0.io.sizeMultiple}; trained on ${g0.io.trainedSize} px crops.`,
    );
  }
  lines.push(
    ...sampleLines(entry),
    "## Licence",
    "",
    `\`${entry.license.spdx}\`. ${entry.license.attribution}`,
    "",
  );
  return lines.join("\n");
}
