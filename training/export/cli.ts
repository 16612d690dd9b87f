/**
 * `npm run export -- --checkpoint checkpoints/NAME --id ID [...]`: trainer
 * checkpoint -> checked ONNX variants in models/ID/ + manifest entry.
 * `npm run export -- verify FILE...`: check ONNX files already written.
 * `npm run export -- upgrade ID...`: rebuild published files with the current writer.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { Command, InvalidArgumentError } from "commander";
import type { Provenance } from "../../models/schema.ts";
import {
  generatorFor,
  type LoadedGenerator,
  loadGeneratorsFromCheckpoint,
} from "../checkpoint/read.ts";
import { trainedSide } from "../data/preprocess.ts";
import { optionsToJson } from "../options.ts";
import { renderTable } from "../report/table.ts";
import {
  addEntryOptions,
  checkSizeArg,
  type EntryFlags,
  entryFields,
  runExport,
  withCheckProgress,
} from "./cli-common.ts";
import { useTfjsBackend } from "./infer.ts";
import type { GeneratorSource } from "./pipeline.ts";
import { readManifest, refuseDirectoryManifest } from "./store.ts";
import { upgradeModel } from "./upgrade.ts";
import { verifyFile } from "./verify.ts";

interface ExportFlags extends EntryFlags {
  checkpoint?: string;
  epoch: string;
}

/** --epoch: "latest", an epoch number or "iter_N" (a .safetensors --checkpoint ignores it). */
function epochName(value: string): string {
  if (value === "latest" || /^\d+$/.test(value) || /^iter_\d+$/.test(value)) return value;
  throw new InvalidArgumentError(
    `--epoch must be latest, an epoch number or iter_N (got "${value}")`,
  );
}

async function exportCheckpoint(f: ExportFlags): Promise<number> {
  const dir = f.checkpoint;
  if (!dir) throw new Error("--checkpoint is required (a run folder such as checkpoints/NAME)");
  // Which network translates each direction depends on the run's --direction.
  const loaded = await loadGeneratorsFromCheckpoint(dir, f.epoch, (o) =>
    f.directions.map((d) => generatorFor(d, o)),
  );
  const { options, meta } = [...loaded.values()][0] as LoadedGenerator;
  const generators: GeneratorSource[] = f.directions.map((direction) => {
    const g = loaded.get(generatorFor(direction, options)) as LoadedGenerator;
    return { direction, netG: g.netG, ngf: g.ngf, spec: g.spec, weights: g.weights };
  });
  const provenance: Provenance = {
    kind: "trained",
    dataset: meta.dataset,
    config: JSON.parse(optionsToJson(options)) as Record<string, unknown>,
    iterations: meta.iterations,
    epochs: meta.epochs,
    wallSeconds: meta.wallSeconds,
    backend: meta.backend,
    date: meta.date,
  };
  const dataroot = options.dataroot && existsSync(options.dataroot) ? options.dataroot : undefined;
  return runExport(
    {
      ...entryFields(f, dataroot),
      generators,
      dtypes: f.dtypes,
      provenance,
      samplesDir: f.samples ?? dataroot,
      sampleCount: f.sampleCount,
      checkSide: f.checkSize,
      trainedSize: f.trainedSize ?? trainedSide(options),
      recommendedMaxSide: f.maxSide,
      modelsDir: f.models,
      manifestPath: f.manifest,
    },
    f,
  );
}

async function upgrade(
  ids: string[],
  o: { modelsDir: string; manifestPath: string; checkSide: number },
): Promise<number> {
  refuseDirectoryManifest(o.manifestPath, "--manifest");
  await useTfjsBackend("wasm");
  let failed = 0;
  for (const id of ids) {
    const result = await withCheckProgress(id, (progress) => upgradeModel({ id, ...o, progress }));
    console.log(`${id}:\n${renderTable(result.rows)}`);
    if (result.written)
      console.log(`rewrote ${path.join(o.modelsDir, id)}/ and ${o.manifestPath}\n`);
    else {
      failed++;
      console.error(
        `${id}: not written (a variant is over budget, see the table); nothing changed\n`,
      );
    }
  }
  return failed > 0 ? 1 : 0;
}

async function verify(
  files: string[],
  o: { manifest: string },
  manifestGiven: boolean,
): Promise<number> {
  // A --manifest that is not there would pass every file, tampered or not, as "not listed".
  if (!existsSync(o.manifest)) {
    if (manifestGiven)
      throw new Error(
        `--manifest ${o.manifest} does not exist (give the manifest the files are in)`,
      );
    console.error(
      `note: no manifest at ${o.manifest}; files are checked without comparing size and sha256`,
    );
  }
  refuseDirectoryManifest(o.manifest, "--manifest");
  const manifest = readManifest(o.manifest);
  const rows = [];
  let failed = 0;
  for (const file of files) {
    try {
      const r = await verifyFile(file, manifest, o.manifest);
      rows.push({
        file,
        MB: r.bytes / 1e6,
        dtype: r.dtype ?? "?",
        opset: r.opset,
        ops: r.ops.length,
        manifest: r.manifest,
        result: "ok",
      });
    } catch (e) {
      failed++;
      console.error(e instanceof Error ? e.message : String(e));
      rows.push({
        file,
        MB: null,
        dtype: null,
        opset: null,
        ops: null,
        manifest: null,
        result: "FAILED",
      });
    }
  }
  console.log(renderTable(rows));
  return failed > 0 ? 1 : 0;
}

const program = addEntryOptions(
  new Command("export")
    .description(
      "Export a trained generator checkpoint as checked ONNX variants into models/<id>/.",
    )
    // `verify` has its own --manifest: options after a subcommand belong to it.
    .enablePositionalOptions()
    .option("--checkpoint <dir>", "run folder (checkpoints/NAME) or a .safetensors file (required)")
    .option("--epoch <which>", "latest, an epoch number, or iter_N", epochName, "latest"),
).action(async (f: ExportFlags) => {
  process.exitCode = await exportCheckpoint(f);
});
program
  .command("verify")
  .description("Check ONNX files: decode, ops, onnxruntime load and run, manifest size and sha256.")
  .argument("<files...>", "ONNX files")
  .option("--manifest <file>", "manifest to compare with", "models/manifest.json")
  .action(async (files: string[], o: { manifest: string }, cmd: Command) => {
    process.exitCode = await verify(files, o, cmd.getOptionValueSource("manifest") === "cli");
  });

program
  .command("upgrade")
  .description(
    "Rebuild published models' ONNX files with the current writer, from their fp32 weights (after a graph-contract change, such as the normalisation statistics); samples and metadata are kept.",
  )
  .argument("<ids...>", "model ids in the manifest")
  .option("--models <dir>", "models folder", "models")
  .option("--manifest <file>", "manifest (default: <--models>/manifest.json)")
  .option("--check-size <px>", "side of the check images", checkSizeArg, 256)
  .action(async (ids: string[], o: { models: string; manifest?: string; checkSize: number }) => {
    process.exitCode = await upgrade(ids, {
      modelsDir: o.models,
      manifestPath: o.manifest ?? path.join(o.models, "manifest.json"),
      checkSide: o.checkSize,
    });
  });

try {
  await program.parseAsync();
} catch (e) {
  console.error(`export: ${e instanceof Error ? e.message : e}`);
  process.exitCode = 1;
}
