/**
 * A seed for the real worker (tests and bench:worker): a manifest built with
 * the shared schema whose model files are random bytes (the worker serves
 * bytes; it never parses ONNX).
 */
import { createHash, randomBytes } from "node:crypto";
import { type Dtype, type ModelEntry, parseManifest, STANDARD_IO } from "../../models/schema.ts";
import type { Seed } from "../../worker/local-r2.ts";

const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

export interface FakeModel {
  id: string;
  /** Bytes per dtype; each becomes `<direction>.<dtype>.onnx`. */
  sizes: Partial<Record<Dtype, number>>;
  /** Which providers each dtype was "checked" on. */
  providers?: Partial<Record<Dtype, ("webgpu" | "wasm")[]>>;
}

export interface FakeSeed extends Seed {
  manifest: ReturnType<typeof parseManifest>;
  /** `files["id/file"]` as served. */
  files: Record<string, Uint8Array>;
}

export function fakeSeed(models: FakeModel[]): FakeSeed {
  const files: Record<string, Uint8Array> = {};
  const entries: ModelEntry[] = models.map((m) => {
    const generators = (["AtoB", "BtoA"] as const).map((direction) => ({
      direction,
      architecture: {
        netG: "resnet_6blocks",
        ngf: 8,
        upsample: "transpose" as const,
        params: 1000,
        macs256: 1000,
      },
      io: { ...STANDARD_IO, sizeMultiple: 4 as const, trainedSize: 64, recommendedMaxSide: 512 },
      variants: Object.entries(m.sizes).map(([dtype, size]) => {
        const bytes = new Uint8Array(randomBytes(size));
        const file = `${direction}.${dtype}.onnx`;
        files[`${m.id}/${file}`] = bytes;
        return {
          dtype: dtype as Dtype,
          file,
          bytes: size,
          sha256: sha256(bytes),
          opset: 17,
          providers: m.providers?.[dtype as Dtype] ?? ["wasm", "webgpu"],
          requires: dtype === "fp16" ? (["shader-f16"] as const satisfies string[]) : [],
          check: { maxAbsDiff: 0, psnrDb: 99 },
        };
      }),
    }));
    return {
      id: m.id,
      title: `Model ${m.id}`,
      description: "test model <b>with</b> markup & quotes \"'",
      domains: { A: { name: "apples", description: "" }, B: { name: "oranges", description: "" } },
      generators,
      provenance: {
        kind: "imported",
        source: "x.pth",
        sha256: "a".repeat(64),
        date: "2026-11-27T00:00:00Z",
      },
      metrics: [],
      license: { spdx: "MIT", attribution: "" },
      samples: [],
    };
  });
  return { manifest: parseManifest({ schemaVersion: 1, models: entries }), files };
}
