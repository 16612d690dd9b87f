/**
 * What the visitor reads for a photo that does not decode and for a file that
 * is no ONNX model (site/src/lib/messages.ts): each said once, in the site's
 * words, never the engine's.
 */
import { describe, expect, it } from "vitest";
import { InferenceError } from "../../site/src/lib/inference-client.ts";
import { describeError } from "../../site/src/lib/messages.ts";
import { DecodeError } from "../../site/src/lib/raster.ts";
import { classify } from "../../site/src/lib/worker-errors.ts";

/** As the page gets it: classified in the worker, sent as code + message. */
function fromWorker(err: Error): InferenceError {
  return new InferenceError(classify(err), "wasm", err.message);
}

const count = (text: string, re: RegExp) => text.match(new RegExp(re, "gi"))?.length ?? 0;

describe("describeError", () => {
  it("says once that a photo could not be decoded", () => {
    // Chromium's createImageBitmap reason restates the failure: it is not repeated.
    const chromium = describeError(
      fromWorker(new DecodeError("The source image could not be decoded.")),
    );
    expect(chromium).toBe("This image could not be decoded. Try saving it as JPEG or PNG.");
    // A reason that says more is kept, once.
    const other = describeError(fromWorker(new DecodeError("unsupported colour type 9")));
    expect(other).toBe(
      "This image could not be decoded (unsupported colour type 9). Try saving it as JPEG or PNG.",
    );
    for (const text of [chromium, other]) expect(count(text, /decod/)).toBe(1);
  });

  it("says a file is not a valid ONNX model by its code, not by the engine's text", () => {
    const notOnnx = new InferenceError("not-onnx", "webgpu", "some engine text");
    expect(describeError(notOnnx)).toBe(
      "This file is not a valid ONNX model: it could not be read as one. Export the generator to ONNX again, or open another file.",
    );
    // An engine failure keeps its own message even when it mentions protobuf.
    const engine = new InferenceError("engine", "wasm", "protobuf parsing failed in a kernel");
    expect(describeError(engine)).toMatch(/^The model failed to run on WebAssembly: protobuf/);
  });
});
