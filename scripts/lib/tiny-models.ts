/**
 * Tiny, real generators for the browser tests and the site benchmark: a
 * ResNet generator from training/networks with seeded random weights,
 * exported by the real exporter, plus a manifest entry that passes
 * parseManifest, ready to seed into the worker.
 */
import { createHash } from "node:crypto";
import { type Dtype, type ModelEntry, parseManifest, STANDARD_IO } from "../../models/schema.ts";
import { buildOnnx } from "../../training/export/onnx.ts";
import { resnetGenerator } from "../../training/networks/resnet.ts";
import { countMacs, countParams, paramShapes, upsampleOf } from "../../training/networks/spec.ts";

export interface TinyModelOptions {
  id?: string;
  ngf?: number;
  nBlocks?: number;
  dtypes?: Dtype[];
  /** Tile side / downscale target the site uses by default. */
  recommendedMaxSide?: number;
  seed?: number;
  /** Weight scale: larger than the training init (0.02) so outputs are far from flat. */
  std?: number;
}

export interface TinyModel {
  entry: ModelEntry;
  /** "id/file" -> bytes, as startWorker's seed wants. */
  files: Record<string, Uint8Array>;
  /** dtype -> file bytes, for onnxruntime-node references. */
  onnx: Map<Dtype, Uint8Array>;
}

/** Box-Muller over a small LCG: deterministic normal samples. */
function normals(seed: number): () => number {
  let s = seed >>> 0 || 1;
  const uniform = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s + 0.5) / 2 ** 32;
  };
  return () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
}

export function tinyModel(o: TinyModelOptions = {}): TinyModel {
  const {
    id = "tiny",
    ngf = 4,
    nBlocks = 1,
    dtypes = ["fp32", "int8"],
    recommendedMaxSide = 64,
    seed = 1,
    std = 0.2,
  } = o;
  const spec = resnetGenerator({ ngf, nBlocks });
  const randn = normals(seed);
  const weights = new Map(
    paramShapes(spec).map((p) => {
      const size = p.shape.reduce((a, b) => a * b, 1);
      const data = Float32Array.from({ length: size }, () =>
        p.name.endsWith(".weight") ? randn() * std : randn() * 0.05,
      );
      return [p.name, { shape: p.shape, data }] as const;
    }),
  );
  const onnx = new Map<Dtype, Uint8Array>();
  const files: Record<string, Uint8Array> = {};
  const variants = dtypes.map((dtype) => {
    const bytes = buildOnnx(spec, weights, dtype);
    const file = `AtoB.${dtype}.onnx`;
    onnx.set(dtype, bytes);
    files[`${id}/${file}`] = bytes;
    return {
      dtype,
      file,
      bytes: bytes.length,
      sha256: createHash("sha256").update(bytes).digest("hex"),
      opset: 17,
      providers: ["wasm", "webgpu"] as ("wasm" | "webgpu")[],
      requires: dtype === "fp16" ? (["shader-f16"] as const).slice() : [],
      check: { maxAbsDiff: 0, psnrDb: 99 },
    };
  });
  const entry: ModelEntry = {
    id,
    title: `Tiny test style ${id}`,
    description: "Random weights; exists only for tests.",
    domains: { A: { name: "Photo", description: "" }, B: { name: "Noise", description: "" } },
    generators: [
      {
        direction: "AtoB",
        architecture: {
          netG: `resnet_${nBlocks}blocks`,
          ngf,
          upsample: upsampleOf(spec),
          params: countParams(spec),
          macs256: countMacs(spec, 256, 256),
        },
        io: { ...STANDARD_IO, sizeMultiple: 4 as const, trainedSize: 64, recommendedMaxSide },
        variants,
      },
    ],
    provenance: {
      kind: "trained",
      dataset: {
        name: "none (random weights)",
        source: "scripts/lib/tiny-models.ts",
        trainA: 0,
        trainB: 0,
      },
      config: {},
      iterations: 0,
      epochs: 0,
      wallSeconds: 0,
      backend: "none",
      date: "2026-01-01T00:00:00.000Z",
    },
    metrics: [],
    license: { spdx: "MIT", attribution: "test fixture" },
    samples: [],
  };
  parseManifest({ schemaVersion: 1, models: [entry] }); // fail here, not in the worker
  return { entry, files, onnx };
}

export function seedOf(...models: TinyModel[]) {
  return {
    manifest: { schemaVersion: 1, models: models.map((m) => m.entry) },
    files: Object.assign({}, ...models.map((m) => m.files)) as Record<string, Uint8Array>,
  };
}
