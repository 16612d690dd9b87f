import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";

/** Starts two-worker training with a backend the worker cannot load, then lets the process end. */
const SCRIPT = `
const { SplitCycleGAN } = await import(${JSON.stringify(new URL("../../training/model/two-workers/split-model.ts", import.meta.url).href)});
const { WorkerPair } = await import(${JSON.stringify(new URL("../../training/model/two-workers/pair.ts", import.meta.url).href)});
const { parseTrainOptions } = await import(${JSON.stringify(new URL("../../training/options.ts", import.meta.url).href)});
const { initBackend } = await import(${JSON.stringify(new URL("../../training/runtime/backend.ts", import.meta.url).href)});
const runtime = await initBackend("wasm");
const o = parseTrainOptions(["--dataroot", "-", "--ngf", "4", "--ndf", "4", "--seed", "3"]).options;
const model = new SplitCycleGAN(o, runtime.ops);
try {
  await WorkerPair.start(model, o, "no-such-backend", "fast");
} catch (e) {
  console.log("start failed:", e.message.split("\\n")[0]);
}
model.dispose();
`;

describe("two-worker start", () => {
  it("stops the worker when it fails to start, so the process can exit", async () => {
    // A file, not -e: the worker inherits execArgv, and --input-type would break it.
    const dir = mkdtempSync(path.join(os.tmpdir(), "two-workers-start-"));
    const script = path.join(dir, "start.mjs");
    writeFileSync(script, SCRIPT);
    const child = spawn(process.execPath, [script], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
    });
    const exited = await Promise.race([
      new Promise<boolean>((resolve) => child.once("exit", () => resolve(true))),
      new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 30_000)),
    ]);
    if (!exited) child.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
    expect(out).toMatch(/start failed: side-B training worker/);
    expect(exited).toBe(true); // a worker left running would keep the process alive
  }, 60_000);
});
