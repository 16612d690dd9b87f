/**
 * The manifest's closed vocabularies as plain values, with no zod: schema.ts
 * builds its enums from them (and re-exports them), and api.ts, which the
 * site's share page bundles with zod/mini only, uses them without pulling in
 * zod's full build.
 */

/** Variants a generator is exported in. */
export const DTYPES = ["fp32", "fp16", "int8"] as const;
/** onnxruntime-web execution providers a variant is checked on. */
export const PROVIDERS = ["webgpu", "wasm"] as const;
/**
 * How a generator upsamples (--upsample): the reference's transposed conv, or
 * nearest x2 then a conv (grid-free). Recorded in the manifest's architecture.
 */
export const UPSAMPLES = ["transpose", "resize"] as const;
/** Which way a generator translates: domain A to B, or B to A. */
export const DIRECTIONS = ["AtoB", "BtoA"] as const;

/**
 * How a generator's input reaches its output (--input_skip): not at all (the
 * reference), added to it (`full`), or as the output's colour (`colour`).
 */
export const INPUT_SKIPS = ["off", "full", "colour"] as const;
