/** What the visitor reads when something goes wrong: what happened and what to try. */
import { InferenceError } from "./inference-client.ts";
import { DownloadError } from "./model-store.ts";

/**
 * Anything that says image/* and has bytes gets a try; decoding failures are
 * reported separately. An empty file is said to be empty here, once, rather
 * than reaching the decoder, whose failure would say "could not decode" twice.
 */
export function unsupportedFileMessage(file: File): string | undefined {
  if (file.size === 0) return `“${file.name}” is empty (0 bytes). Choose another photo.`;
  if (file.type.startsWith("image/")) return undefined;
  const what =
    file.type || (file.name.includes(".") ? `.${file.name.split(".").pop()}` : "unknown type");
  return `“${file.name}” is not a supported image (${what}). Use a JPEG, PNG, WebP, AVIF or GIF photo.`;
}

/**
 * A photo that did not decode, said once: the browser's reason is added only
 * when it says more than that (Chromium's is "The source image could not be
 * decoded.").
 */
function decodeMessage(reason: string): string {
  const more = reason && !/decod/i.test(reason) ? ` (${reason})` : "";
  return `This image could not be decoded${more}. Try saving it as JPEG or PNG.`;
}

export function describeError(err: unknown): string {
  if (err instanceof DownloadError) return `${err.message} Check your connection and try again.`;
  if (err instanceof InferenceError) {
    switch (err.code) {
      case "decode":
        return decodeMessage(err.message);
      case "canvas":
        return `This browser could not process the image: ${err.message}. Try a smaller Largest result or Quick preview in Options.`;
      case "runtime":
        return `The translation engine could not be loaded: ${err.message}. Check your connection and reload the page.`;
      case "memory":
        return "Your device ran out of memory for this photo. Try a smaller Largest result, Quick preview, or the WebAssembly engine (Options).";
      case "contract":
        return `This model cannot be used: ${err.message}`;
      case "no-webgpu":
        return `No WebGPU: ${err.message}. Choose WebAssembly or Automatic.`;
      case "not-onnx":
        return "This file is not a valid ONNX model: it could not be read as one. Export the generator to ONNX again, or open another file.";
      case "engine":
        return `The model failed to run on ${err.engine === "webgpu" ? "WebGPU" : "WebAssembly"}: ${err.message}`;
      default:
        return `Something went wrong: ${err.message}`;
    }
  }
  return `Something went wrong: ${err instanceof Error ? err.message : String(err)}`;
}
