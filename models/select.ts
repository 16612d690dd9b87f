/**
 * Which variant of a generator a client should download. The worker answers
 * `?provider=...&f16=1` with it and the site uses it offline: one rule for both.
 * The exporter writes each variant's providers and requirements from the same
 * table (variantTargets), so what is published and what is picked agree.
 */
import type { Dtype, Generator, Provider, Variant } from "./schema.ts";

export interface ClientCaps {
  provider: Provider;
  /** The WebGPU adapter has the `shader-f16` feature. */
  shaderF16?: boolean;
}

type Client = "webgpu-f16" | "webgpu" | "wasm";
const CLIENTS: Readonly<Record<Client, { provider: Provider; shaderF16: boolean }>> = {
  "webgpu-f16": { provider: "webgpu", shaderF16: true },
  webgpu: { provider: "webgpu", shaderF16: false },
  wasm: { provider: "wasm", shaderF16: false },
};

/**
 * The device policy: what each client runs, best first. fp16 compute only
 * pays on a GPU that has shader-f16; on WebAssembly every dtype computes in
 * fp32, so the smallest download (int8 weight-only) wins.
 */
const PREFERENCE: Readonly<Record<Client, readonly Dtype[]>> = {
  "webgpu-f16": ["fp16", "fp32", "int8"],
  webgpu: ["fp32", "int8"],
  wasm: ["int8", "fp32"],
};

export interface VariantTargets {
  /** Who runs the dtype; the first is the recommended one (where it ranks highest). */
  providers: Provider[];
  requires: "shader-f16"[];
}

/** The `providers` and `requires` the exporter writes into the manifest for a `dtype` variant. */
export function variantTargets(dtype: Dtype): VariantTargets {
  const ranked = (Object.keys(PREFERENCE) as Client[])
    .map((client) => ({ client, rank: PREFERENCE[client].indexOf(dtype) }))
    .filter((r) => r.rank >= 0)
    .sort((a, b) => a.rank - b.rank);
  const clients = ranked.map((r) => CLIENTS[r.client]);
  return {
    providers: [...new Set(clients.map((c) => c.provider))],
    // Needed when only shader-f16 clients take it.
    requires: clients.every((c) => c.shaderF16) ? ["shader-f16"] : [],
  };
}

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
