/** Turn evaluation results into the printed table, the HTML report and result.json. */
import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import { type Row, renderTable } from "../report/table.ts";
import type { DomainResult } from "./domain.ts";
import { type GateOutcome, gateLines, judgeGates } from "./gates.ts";
import { METRIC_NAMES, METRICS, type MetricName } from "./metrics.ts";
import { BASELINES, beatsBaselines, isBaseline, type PairedResult } from "./paired.ts";
import { writeReport } from "./report.ts";

/** The grid score's column; the identity row's value is the inputs'. */
const GRID_COLUMN = "grid (levels)";
const GRID_NOTE =
  "Grid: the period-4 (checkerboard) artefact score of the outputs, in levels (training/eval/grid.ts): " +
  "the RMS spread of the high-pass residual's mean over the 16 pixel phases (y mod 4, x mod 4); " +
  "the identity row is the inputs' own, lower is better.";

const fmt = (metric: string, v: number): string =>
  metric === "PSNR" || metric === "tint" ? v.toFixed(2) : v.toFixed(4);
const HEADER: Partial<Record<MetricName, string>> = { PSNR: "PSNR dB", tint: "tint ΔE" };

/** Print the method x metric table; write the report; return what result.json keeps. */
export async function pairedReport(
  dir: string,
  r: PairedResult,
): Promise<{ json: Record<string, unknown> }> {
  const models = r.summaries.filter((s) => s.kind === "model").map((s) => s.method);
  const rows: Row[] = r.summaries.map((s) => ({
    method: s.method,
    n: s.n,
    ...Object.fromEntries(
      METRIC_NAMES.map((m) => [HEADER[m] ?? m, `${fmt(m, s.mean[m])} ± ${fmt(m, s.std[m])}`]),
    ),
    [GRID_COLUMN]: s.grid.toFixed(2),
    "beats both baselines on":
      s.kind === "model"
        ? METRIC_NAMES.filter((m) => beatsBaselines(r, s.method, m)).join(" ") || "none"
        : "",
  }));
  console.log(
    `\n## paired evaluation, ${r.direction}, ${r.n} test pairs of ${path.basename(r.data)}\n`,
  );
  console.log(renderTable(rows));
  const [from, to] = r.direction === "AtoB" ? ["A", "B"] : ["B", "A"];
  const columns = [`input (test${from})`, ...models, BASELINES.colour, `truth (test${to})`];
  await writeReport(dir, {
    title: `Paired evaluation: ${models.join(", ") || "baselines only"} on ${path.basename(r.data)} (${r.direction})`,
    notes: [
      `${r.n} held-out test pairs; mean ± standard deviation over images. L1 on a 0..1 scale (lower is better); ` +
        "PSNR in dB over RGB; SSIM on luminance (BT.601 Y), 11x11 Gaussian window, sigma 1.5; " +
        "tint: CIE76 Delta E between the mean CIELAB colours of output and truth, a cast over the whole picture (lower is better).",
      "Baselines: identity (the input itself) and a global colour transfer (Reinhard mean/std matching in CIE Lab " +
        `against the pooled statistics of train${to}).`,
      GRID_NOTE,
    ],
    table: {
      columns: Object.keys(rows[0] ?? {}),
      rows: rows.map((row) => Object.values(row).map(String)),
    },
    grid: {
      columns,
      rows: r.examples.map((e) => {
        const cell = (k: string) => ({
          image: e.outputs[k] ?? e.input,
          caption: `PSNR ${e.scores[k]?.PSNR.toFixed(1)} SSIM ${e.scores[k]?.SSIM.toFixed(3)}`,
        });
        return {
          name: e.name,
          cells: [
            { image: e.input },
            ...models.map(cell),
            cell(BASELINES.colour),
            { image: e.truth },
          ],
        };
      }),
    },
  });
  return {
    json: {
      data: r.data,
      direction: r.direction,
      n: r.n,
      metrics: Object.fromEntries(METRIC_NAMES.map((m) => [m, METRICS[m].better])),
      summaries: r.summaries,
      beatsBothBaselines: Object.fromEntries(
        models.map((m) => [
          m,
          Object.fromEntries(METRIC_NAMES.map((k) => [k, beatsBaselines(r, m, k)])),
        ]),
      ),
      perImage: r.perImage,
    },
  };
}

/**
 * Print the classifier, the table and each model's gates; write the report;
 * return what result.json keeps and the gates by model.
 */
export async function domainReport(
  dir: string,
  r: DomainResult,
): Promise<{ json: Record<string, unknown>; gates: Record<string, GateOutcome[]> }> {
  const c = r.classifier;
  const to = r.direction === "AtoB" ? "B" : "A";
  console.log(
    `\n## domain classifier (${c.kind})\n\n` +
      `trained on ${c.train.A} real A + ${c.train.B} real B: accuracy ${c.train.accuracy.toFixed(3)}, balanced ${c.train.balanced.toFixed(3)}, 5-fold cross-validated balanced ${c.train.crossValidated.toFixed(3)}\n` +
      `held out (${c.heldOut.A} testA + ${c.heldOut.B} testB): accuracy ${c.heldOut.accuracy.toFixed(3)}, balanced ${c.heldOut.balanced.toFixed(3)}`,
  );
  const rows: Row[] = r.scores.map((s) => ({
    method: s.method,
    n: s.n,
    [`share judged ${to}`]: s.targetShare.toFixed(3),
    [`mean p(${to})`]: s.meanTargetProbability.toFixed(3),
    "content SSIM": s.contentSsim === null ? "" : s.contentSsim.toFixed(3),
    [GRID_COLUMN]: s.grid === null ? "" : s.grid.toFixed(2),
  }));
  console.log(`\n## domain score, ${r.direction}, ${path.basename(r.data)}\n`);
  console.log(renderTable(rows));
  const gates = Object.fromEntries(
    r.scores.filter((s) => s.kind === "model").map((s) => [s.method, judgeGates(r, s.method)]),
  );
  const gateNotes = Object.entries(gates).flatMap(([m, g]) =>
    gateLines(g).map((line) => `${m}: ${line}`),
  );
  if (gateNotes.length) console.log(`\n## gates\n\n${gateNotes.join("\n")}`);
  const methods = Object.keys(r.examples[0]?.outputs ?? {}).filter((m) => m !== BASELINES.identity);
  await writeReport(dir, {
    title: `Domain score: ${methods.filter((m) => !isBaseline(m)).join(", ") || "baselines only"} on ${path.basename(r.data)} (${r.direction})`,
    notes: [
      `Classifier: ${c.kind}; features: ${c.features.join(", ")}.`,
      `Its own accuracy: ${c.train.accuracy.toFixed(3)} on its ${c.train.A + c.train.B} training images ` +
        `(5-fold cross-validated balanced accuracy ${c.train.crossValidated.toFixed(3)}), ` +
        `${c.heldOut.accuracy.toFixed(3)} (balanced ${c.heldOut.balanced.toFixed(3)}) on ${c.heldOut.A + c.heldOut.B} held-out test images. ` +
        "A score is only as meaningful as those accuracies.",
      "Content SSIM: SSIM (luminance) between each translated image and its input, averaged: how much of the scene survives. " +
        "A generator that paints over the content can still fool a weak classifier, so read the share together with it.",
      `Score: the share of translated test images the classifier assigns to domain ${to}; the identity row is the untranslated input, ` +
        `the reference row real test${to} images.`,
      GRID_NOTE,
      ...gateNotes,
    ],
    table: {
      columns: Object.keys(rows[0] ?? {}),
      rows: rows.map((row) => Object.values(row).map(String)),
    },
    grid: {
      columns: ["input", ...methods],
      rows: r.examples.map((e) => ({
        name: e.name,
        cells: [
          { image: e.input, caption: `p(${to}) ${e.probability[BASELINES.identity]?.toFixed(2)}` },
          ...methods.map((m) => ({
            image: e.outputs[m] ?? e.input,
            caption: `p(${to}) ${e.probability[m]?.toFixed(2)}`,
          })),
        ],
      })),
    },
  });
  return {
    json: { data: r.data, direction: r.direction, classifier: r.classifier, scores: r.scores },
    gates,
  };
}

export function saveResult(dir: string, body: Record<string, unknown>): string {
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, "result.json");
  writeFileSync(
    `${file}.tmp`,
    `${JSON.stringify({ ...body, date: new Date().toISOString() }, null, 2)}\n`,
  );
  renameSync(`${file}.tmp`, file);
  return file;
}
