/**
 * `npm run eval -- paired|domain --model models/ID/AtoB.fp32.onnx --data datasets/NAME`
 * Prints the quality table, writes <out>/result.json and an HTML report.
 */
import { renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import { Command, InvalidArgumentError, Option } from "commander";
import { evaluateDomain } from "./domain.ts";
import { type Generator, labelsOf, loadGenerator, rememberOutputs } from "./generator.ts";
import { domainMetrics, pairedMetrics } from "./manifest-metrics.ts";
import { evaluatePaired } from "./paired.ts";
import { domainReport, pairedReport, saveResult } from "./summary.ts";

interface Opts {
  model: string[];
  data: string;
  out?: string;
  limit?: number;
  examples: number;
  direction?: "AtoB" | "BtoA";
  metricsOut?: string;
}

function positive(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError("must be a positive integer");
  return n;
}

const collect = (v: string, all: string[]) => [...all, v];

function withCommon(cmd: Command): Command {
  return cmd
    .option(
      "--model <file>",
      "ONNX generator (repeat to compare several; none: baselines only)",
      collect,
      [],
    )
    .requiredOption("--data <dir>", "dataset in the reference layout, e.g. datasets/glyphs")
    .option("--out <dir>", "report folder (default: runs/eval/<model or dataset>-<mode>)")
    .option("--limit <n>", "evaluate at most n test images (evenly spread)", positive)
    .option("--examples <n>", "test images shown in the report", positive, 12)
    .option(
      "--metrics-out <file>",
      "also write the first model's scores as manifest metrics (for npm run export -- --metrics)",
    )
    .addOption(
      new Option(
        "--direction <dir>",
        "translation direction (default: from the model file name)",
      ).choices(["AtoB", "BtoA"]),
    );
}

async function generators(o: Opts): Promise<Generator[]> {
  const labels = labelsOf(o.model);
  return Promise.all(o.model.map((m, i) => loadGenerator(m, o.direction, labels[i])));
}

function outDir(o: Opts, mode: string): string {
  if (o.out) return path.resolve(o.out);
  const base = o.model[0]
    ? path.basename(path.dirname(path.resolve(o.model[0])))
    : path.basename(path.resolve(o.data));
  const variant = o.model[0] ? `-${path.basename(o.model[0]).replace(/\.onnx$/, "")}` : "";
  return path.resolve("runs/eval", `${base}${variant}-${mode}`);
}

function writeMetrics(file: string, metrics: unknown[]): void {
  writeFileSync(`${file}.tmp`, `${JSON.stringify(metrics, null, 2)}\n`);
  renameSync(`${file}.tmp`, file);
  console.log(`metrics for the manifest: ${file}`);
}

async function run(mode: "paired" | "domain", o: Opts): Promise<void> {
  const started = Date.now();
  const loaded = await generators(o);
  // Paired runs the domain pass on the same test images: translated once.
  const gens = mode === "paired" ? loaded.map((g) => rememberOutputs(g)) : loaded;
  const base = {
    data: path.resolve(o.data),
    generators: gens,
    limit: o.limit,
    examples: o.examples,
    direction: o.direction,
  };
  try {
    const dir = outDir(o, mode);
    const seconds = () => (Date.now() - started) / 1000;
    if (mode === "paired") {
      const result = await evaluatePaired(base);
      const report = await pairedReport(dir, result);
      // The gates need the domain classifier on paired sets too (glyphs), so it runs here as well.
      const domain = await evaluateDomain(base);
      const d = await domainReport(path.join(dir, "domain"), domain);
      saveResult(dir, {
        mode,
        models: o.model,
        seconds: seconds(),
        ...report.json,
        domain: d.json,
        gates: d.gates,
      });
      if (o.metricsOut && gens[0]) {
        const label = gens[0].label;
        writeMetrics(o.metricsOut, [
          ...pairedMetrics(result, label),
          ...domainMetrics(domain, label),
        ]);
      }
    } else {
      const result = await evaluateDomain(base);
      const report = await domainReport(dir, result);
      saveResult(dir, {
        mode,
        models: o.model,
        seconds: seconds(),
        ...report.json,
        gates: report.gates,
      });
      if (o.metricsOut && gens[0]) writeMetrics(o.metricsOut, domainMetrics(result, gens[0].label));
    }
    console.log(
      `\nreport: ${path.relative(process.cwd(), path.join(dir, "index.html"))} (${seconds().toFixed(1)} s)`,
    );
  } finally {
    await Promise.all(gens.map((g) => g.release()));
  }
}

const program = new Command("eval").description("Measure translation quality (see docs/eval.md)");
withCommon(program.command("paired"))
  .description(
    "score translations of testA (or testB) against the true images of the other side; " +
      "then the domain score and the gates, as in domain",
  )
  .action((o: Opts) => run("paired", o));
withCommon(program.command("domain"))
  .description(
    "share of translated test images a real-A-vs-real-B classifier puts in the target domain",
  )
  .action((o: Opts) => run("domain", o));

program.parseAsync().catch((err: unknown) => {
  console.error(err instanceof Error ? `error: ${err.message}` : err);
  process.exit(1);
});
