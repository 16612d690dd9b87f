/**
 * `npm run import -- FILE.pth [SECOND.pth] --id ID --license SPDX [...]`:
 * reference PyTorch CycleGAN generator checkpoints -> the same checked ONNX
 * export as `npm run export`. The first file becomes the first of
 * --directions (default AtoB), the second file the next one.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { Command } from "commander";
import { addEntryOptions, type EntryFlags, entryFields, runExport } from "../export/cli-common.ts";
import type { GeneratorSource } from "../export/pipeline.ts";
import { generatorFromStateDict } from "./state-dict.ts";
import { readTorchFile } from "./torch-file.ts";

async function importFiles(
  files: string[],
  f: EntryFlags,
  directionsGiven: boolean,
): Promise<number> {
  if (files.length > 2)
    throw new Error("import takes one or two checkpoint files (one per direction)");
  const directions = directionsGiven ? f.directions : f.directions.slice(0, files.length);
  if (directions.length !== files.length)
    throw new Error(
      `${files.length} file(s) but --directions names ${directions.length} direction(s)`,
    );
  const generators: GeneratorSource[] = [];
  const sources: string[] = [];
  let firstSha = "";
  for (const [i, file] of files.entries()) {
    let bytes: Buffer;
    try {
      bytes = readFileSync(file);
    } catch (e) {
      throw new Error(
        `cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
      );
    }
    const sha = createHash("sha256").update(bytes).digest("hex");
    firstSha ||= sha;
    const g = generatorFromStateDict(readTorchFile(bytes, file), file);
    const direction = directions[i] ?? "AtoB";
    if (g.dropped.length > 0)
      console.log(
        g.norm === "batch"
          ? `${file}: dropped ${g.dropped.length} batch-norm running statistics entries (a generator normalises with each image's own statistics, as the reference's test.py without --eval)`
          : `${file}: dropped ${g.dropped.length} instance-norm statistics entries (as the reference does)`,
      );
    console.log(`${file}: ${g.netG}, ngf ${g.ngf}, ${g.norm} norm -> ${direction}`);
    generators.push({ direction, netG: g.netG, ngf: g.ngf, spec: g.spec, weights: g.weights });
    sources.push(`${path.basename(file)} (sha256 ${sha})`);
  }
  return runExport(
    {
      ...entryFields(f),
      generators,
      dtypes: f.dtypes,
      // The schema holds one sha256: the first file's; `source` lists every file with its own.
      provenance: {
        kind: "imported",
        source: sources.join(" + "),
        sha256: firstSha,
        date: new Date().toISOString(),
      },
      samplesDir: f.samples,
      sampleCount: f.sampleCount,
      checkSide: f.checkSize,
      trainedSize: f.trainedSize ?? 256,
      recommendedMaxSide: f.maxSide,
      modelsDir: f.models,
      manifestPath: f.manifest,
    },
    f,
  );
}

const program = addEntryOptions(
  new Command("import")
    .description(
      "Import reference PyTorch CycleGAN generator checkpoints (.pth, zip or legacy format) as checked ONNX variants.",
    )
    .argument("<files...>", "one .pth per direction, e.g. latest_net_G_A.pth [latest_net_G_B.pth]"),
).action(async (files: string[], f: EntryFlags, cmd: Command) => {
  process.exitCode = await importFiles(files, f, cmd.getOptionValueSource("directions") === "cli");
});

try {
  await program.parseAsync();
} catch (e) {
  console.error(`import: ${e instanceof Error ? e.message : e}`);
  process.exitCode = 1;
}
