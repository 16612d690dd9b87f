/**
 * Opening or resuming a run (training/model/open-run.ts), the first part of
 * train(): what it starts from, and that it writes nothing itself.
 */
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRunFolder, openRun } from "../../training/model/open-run.ts";
import { train } from "../../training/model/train-loop.ts";
import { parseTrainOptions } from "../../training/options.ts";
import { initBackend, type Runtime } from "../../training/runtime/backend.ts";
import { makeShapes } from "./helpers/shapes.ts";

let dir: string;
let runtime: Runtime;
beforeAll(async () => {
  runtime = await initBackend("wasm");
  dir = await mkdtemp(path.join(os.tmpdir(), "open-run-"));
  await makeShapes(path.join(dir, "data"), { train: 2, test: 0, size: 32, seed: 4 });
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const args = (...more: string[]) => [
  ...["--dataroot", path.join(dir, "data"), "--checkpoints_dir", path.join(dir, "ck")],
  ...["--netG", "resnet_6blocks", "--ngf", "4", "--netD", "n_layers", "--n_layers_D", "2"],
  ...["--ndf", "4", "--load_size", "32", "--crop_size", "32", "--threads", "1", "--seed", "3"],
  ...more,
];

describe("opening a run", () => {
  it("starts a fresh run at --epoch_count without touching the disk", async () => {
    const run = await openRun(parseTrainOptions(args("--name", "fresh", "--epoch_count", "3")));
    expect(run.resume).toBeNull();
    expect(run.counters).toEqual({
      epoch: 3,
      epochIter: 0,
      totalIters: 0,
      adamStepG: 0,
      adamStepD: 0,
    });
    expect(existsSync(run.runDir)).toBe(false);
    await createRunFolder(run);
    expect(existsSync(path.join(run.runDir, "train_opt.json"))).toBe(true);
  });

  it("resumes with the checkpoint's options, the command line on top", async () => {
    await train(
      parseTrainOptions(args("--name", "r", "--n_epochs", "1", "--n_epochs_decay", "0")),
      {
        runtime,
        progress: false,
        print: () => {},
      },
    );
    const run = await openRun(
      parseTrainOptions(
        ["--dataroot", "-", "--checkpoints_dir", path.join(dir, "ck")].concat([
          "--name",
          "r",
          "--continue_train",
          "--print_freq",
          "7",
        ]),
      ),
    );
    expect(run.resume?.file).toMatch(/latest\.safetensors$/);
    expect(run.options.ngf).toBe(4); // from the checkpoint, not the default 64
    expect(run.options.print_freq).toBe(7); // given now
    expect(run.counters).toEqual(run.resume?.state.counters);
    await expect(
      openRun(parseTrainOptions(args("--name", "r", "--continue_train", "--ngf", "8"))),
    ).rejects.toThrow(/--ngf 8 differs from the checkpoint's 4/);
    await expect(openRun(parseTrainOptions(args("--name", "r")))).rejects.toThrow(
      /already holds a run/,
    );
  });

  it("leaves no run folder when the data cannot be opened", async () => {
    const parsed = parseTrainOptions([
      ...args("--name", "nodata"),
      ...["--dataroot", path.join(dir, "missing")],
    ]);
    await expect(train(parsed, { runtime, progress: false, print: () => {} })).rejects.toThrow();
    expect(existsSync(path.join(dir, "ck", "nodata"))).toBe(false);
  });
});
