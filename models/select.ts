/**
 * Which variant of a generator a client should download. The worker answers
 * `?provider=...&f16=1` with it and the site uses it offline: one rule for both.
 */
import type { Dtype, Generator, Provider, Variant } from "./schema.ts";

export interface ClientCaps {
  provider: Provider;
  /** The WebGPU adapter has the `shader-f16` feature. */
  shaderF16?: boolean;
}

/**
 * Preference order per client. fp16 compute only pays on a GPU that has
 * shader-f16; on WebAssembly every dtype computes in fp32, so the smallest
 * download (int8 weight-only) wins.
 */
const PREFERENCE: Readonly<Record<"webgpu-f16" | "webgpu" | "wasm", readonly Dtype[]>> = {
  "webgpu-f16": ["fp16", "fp32", "int8"],
  webgpu: ["fp32", "int8"],
  wasm: ["int8", "fp32", "fp16"],
};

export function pickVariant(generator: Generator, caps: ClientCaps): Variant | undefined {
  // shader-f16 is a WebGPU adapter feature: a WebAssembly client never has it,
  // whatever its GPU reports (the worker refuses f16 without provider=webgpu too).
  const f16 = caps.provider === "webgpu" && caps.shaderF16 === true;
  const key = caps.provider === "webgpu" ? (f16 ? "webgpu-f16" : "webgpu") : "wasm";
  for (const dtype of PREFERENCE[key]) {
    const v = generator.variants.find(
      (x) =>
        x.dtype === dtype &&
        x.providers.includes(caps.provider) &&
        (f16 || !x.requires.includes("shader-f16")),
    );
    if (v) return v;
  }
  return undefined;
}
