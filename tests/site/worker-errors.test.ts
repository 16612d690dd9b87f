/**
 * Which error code each failure in the inference worker gets: only a session
 * that fails to be created or to run is "engine" (the page re-runs WebGPU work
 * on WebAssembly for it). onnxruntime-web runs here in Node from its own dist.
 */
import { copyFile, mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NoWebGpuError } from "../../site/src/lib/gpu.ts";
import { createSession, EngineError } from "../../site/src/lib/ort-engine.ts";
import { DecodeError, encodePng } from "../../site/src/lib/raster.ts";
import { classify } from "../../site/src/lib/worker-errors.ts";

const ORT_DIST = path.resolve(import.meta.dirname, "../../node_modules/onnxruntime-web/dist");

/** The code createSession's failure gets, for a model and a folder of ORT files. */
async function sessionFailure(model: Uint8Array, ortDir: string): Promise<string> {
  const base = `${pathToFileURL(ortDir).href}/`;
  const err = await createSession(model, { engine: "wasm", ortBase: base, numThreads: 1 }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, "createSession should fail").toBeInstanceOf(Error);
  return classify(err);
}

describe("worker error codes", () => {
  let partial: string;
  beforeAll(async () => {
    // ORT's loader and wasm glue but not its .wasm: what a half-cached or broken deploy looks like.
    partial = await mkdtemp(path.join(os.tmpdir(), "unpaired-ort-"));
    for (const f of ["ort.wasm.min.mjs", "ort.wasm.min.mjs.map", "ort-wasm-simd-threaded.mjs"])
      await copyFile(path.join(ORT_DIST, f), path.join(partial, f));
  });
  afterAll(async () => {
    await rm(partial, { recursive: true, force: true });
  });

  it("runtime files that do not load are 'runtime', not an engine failure", async () => {
    const model = new Uint8Array([1, 2, 3]);
    expect(await sessionFailure(model, path.join(partial, "missing"))).toBe("runtime");
    expect(await sessionFailure(model, partial)).toBe("runtime");
  });

  it("a session the engine cannot create is 'engine'", async () => {
    expect(await sessionFailure(new Uint8Array([1, 2, 3]), ORT_DIST)).toBe("engine");
  });

  it("canvas, photo and WebGPU problems have their own codes", async () => {
    // Node has no OffscreenCanvas: encoding fails the way a canvas that cannot be made does.
    const encoded = await encodePng(new Uint8ClampedArray(4), 1, 1).catch((e: unknown) => e);
    expect(classify(encoded)).toBe("canvas");
    expect((encoded as Error).message).toMatch(/could not encode the 1×1 result as PNG/);
    expect(classify(new DecodeError("bad"))).toBe("decode");
    expect(classify(new NoWebGpuError("none"))).toBe("no-webgpu");
    expect(classify(new EngineError("std::bad_alloc"))).toBe("memory");
    expect(classify(new Error("no model is loaded"))).toBe("internal");
  });
});
