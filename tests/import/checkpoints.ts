/// <reference lib="esnext.float16" />
/**
 * Test-only: reference-format generator checkpoints, written by
 * torch_save.py (Python's own pickler with stub torch globals). Keys and
 * shapes follow the reference layout in shared/reference/cyclegan.md,
 * listed here independently of training/networks.
 */
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { seededNormal } from "../../training/util/seeded.ts";

export interface TensorSpec {
  name: string;
  shape: number[];
  values: number[];
  dtype?: "float32" | "float16" | "int64";
  layout?: "contiguous" | "transposed" | "offset";
}

/**
 * [key, shape] of the reference ResNet generator with `n` blocks and `norm`:
 * convs before a norm have a bias only with instance norm (use_bias); a batch
 * norm has a scale and shift (its running statistics: normStatsKeys).
 */
export function referenceShapes(
  ngf: number,
  n: number,
  norm: "instance" | "batch" | "none" = "instance",
): [string, number[]][] {
  const bias = (i: number | string, out: number, last = false): [string, number[]][] =>
    last || norm === "instance" ? [[`model.${i}.bias`, [out]]] : [];
  const conv = (i: number | string, out: number, inp: number, k: number, last = false) =>
    [[`model.${i}.weight`, [out, inp, k, k]], ...bias(i, out, last)] as [string, number[]][];
  const convT = (i: number, inp: number, out: number): [string, number[]][] => [
    [`model.${i}.weight`, [inp, out, 3, 3]],
    ...bias(i, out),
  ];
  const bn = (i: number | string, c: number): [string, number[]][] =>
    norm === "batch"
      ? [
          [`model.${i}.weight`, [c]],
          [`model.${i}.bias`, [c]],
        ]
      : [];
  const blocks = Array.from({ length: n }, (_, b) => [
    ...conv(`${10 + b}.conv_block.1`, 4 * ngf, 4 * ngf, 3),
    ...bn(`${10 + b}.conv_block.2`, 4 * ngf),
    ...conv(`${10 + b}.conv_block.5`, 4 * ngf, 4 * ngf, 3),
    ...bn(`${10 + b}.conv_block.6`, 4 * ngf),
  ]).flat();
  return [
    ...conv(1, ngf, 3, 7),
    ...bn(2, ngf),
    ...conv(4, 2 * ngf, ngf, 3),
    ...bn(5, 2 * ngf),
    ...conv(7, 4 * ngf, 2 * ngf, 3),
    ...bn(8, 4 * ngf),
    ...blocks,
    ...convT(10 + n, 4 * ngf, 2 * ngf),
    ...bn(11 + n, 2 * ngf),
    ...convT(13 + n, 2 * ngf, ngf),
    ...bn(14 + n, ngf),
    ...conv(17 + n, 3, ngf, 7, true),
  ];
}

/** Random float32 values (weights std 0.2, biases 0.1) for the given shapes. */
export function randomTensors(shapes: [string, number[]][], seed: number): TensorSpec[] {
  const randn = seededNormal(seed);
  return shapes.map(([name, shape]) => {
    const n = shape.reduce((a, b) => a * b, 1);
    const std = name.endsWith(".bias") ? 0.1 : 0.2;
    return { name, shape, values: Array.from({ length: n }, () => Math.fround(randn() * std)) };
  });
}

/** The weights a correct reader must return (float16 storages round their values). */
export function expectedWeights(
  tensors: TensorSpec[],
): Map<string, { shape: number[]; data: Float32Array }> {
  return new Map(
    tensors
      .filter((t) => t.dtype !== "int64")
      .map((t) => [
        t.name,
        {
          shape: t.shape,
          data: Float32Array.from(t.values, (v) => (t.dtype === "float16" ? Math.f16round(v) : v)),
        },
      ]),
  );
}

export function writeCheckpoint(
  file: string,
  format: "zip" | "legacy" | "evil",
  tensors: TensorSpec[],
  env: Record<string, string> = {},
): void {
  const spec = `${file}.json`;
  writeFileSync(spec, JSON.stringify({ format, tensors }));
  const script = new URL("./torch_save.py", import.meta.url).pathname;
  execFileSync("python3", [script, spec, file], { env: { ...process.env, ...env } });
}
