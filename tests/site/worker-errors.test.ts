/**
 * Which error code each failure in the inference worker gets: only a session
 * that fails to be created or to run is "engine" (the page re-runs WebGPU work
 * on WebAssembly for it); a file that is no ONNX model at all is "not-onnx".
 * onnxruntime-web runs here in Node from its own dist.
 */
import { copyFile, mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tinyModel } from "../../scripts/lib/tiny-models.ts";
import { NoWebGpuError } from "../../site/src/lib/gpu.ts";
import {
  createSession,
  EngineError,
  NotOnnxError,
  startsLikeModelProto,
} from "../../site/src/lib/ort-engine.ts";
import { DecodeError, encodePng } from "../../site/src/lib/raster.ts";
import { classify } from "../../site/src/lib/worker-errors.ts";

const ORT_DIST = path.resolve(import.meta.dirname, "../../node_modules/onnxruntime-web/dist");

/** createSession's failure for a model and a folder of ORT files. */
async function sessionError(model: Uint8Array, ortDir: string): Promise<Error> {
  const base = `${pathToFileURL(ortDir).href}/`;
  const err = await createSession(model, { engine: "wasm", ortBase: base, numThreads: 1 }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, "createSession should fail").toBeInstanceOf(Error);
  return err as Error;
}

/** The code createSession's failure gets. */
async function sessionFailure(model: Uint8Array, ortDir: string): Promise<string> {
  return classify(await sessionError(model, ortDir));
}

/** A real exported generator with every Conv renamed to an operator no engine has: valid ONNX that fails to load. */
function unknownOpModel(): Uint8Array {
  const bytes = new Uint8Array(tinyModel().onnx.get("fp32") as Uint8Array);
  // NodeProto.op_type (field 4, length-delimited: tag 0x22), 4 bytes long, "Conv" -> "Cxnv".
  const opType = [0x22, 4, ..."Conv"].map((c) => (typeof c === "number" ? c : c.charCodeAt(0)));
  let renamed = 0;
  for (let i = 0; i + opType.length <= bytes.length; i++) {
    if (opType.every((b, k) => bytes[i + k] === b)) {
      bytes[i + 3] = "x".charCodeAt(0);
      renamed++;
    }
  }
  expect(renamed).toBeGreaterThan(0);
  return bytes;
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

  it("a valid ONNX file the engine cannot create a session for is 'engine'", async () => {
    const model = unknownOpModel();
    expect(startsLikeModelProto(model)).toBe(true);
    const err = await sessionError(model, ORT_DIST);
    expect(err.message).toMatch(/Cxnv/);
    expect(classify(err)).toBe("engine");
  });

  it("a file that is no ONNX model is 'not-onnx', however ORT words it", async () => {
    const text = new TextEncoder().encode("this is not a model, just some text");
    expect(startsLikeModelProto(text)).toBe(false);
    expect(startsLikeModelProto(new Uint8Array())).toBe(false);
    // Starts like a ModelProto (ir_version's tag) but is cut short: ORT's protobuf parse fails.
    const cut = (tinyModel().onnx.get("fp32") as Uint8Array).slice(0, 300);
    expect(startsLikeModelProto(cut)).toBe(true);
    for (const bytes of [text, new Uint8Array([1, 2, 3]), new Uint8Array(), cut]) {
      const err = await sessionError(bytes, ORT_DIST);
      expect(err).toBeInstanceOf(NotOnnxError);
      expect(classify(err)).toBe("not-onnx");
    }
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
