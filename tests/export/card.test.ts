import { describe, expect, it } from "vitest";
import { type ModelEntry, parseManifest } from "../../models/schema.ts";
import { renderCard } from "../../training/export/card.ts";

const sha = "b".repeat(64);
const entry: ModelEntry = parseManifest({
  schemaVersion: 1,
  models: [
    {
      id: "demo",
      title: "Print to brush",
      description: "Ming print glyphs to Kai brush glyphs.",
      domains: {
        A: { name: "Ming", description: "printed" },
        B: { name: "Kai", description: "brush" },
      },
      generators: [
        {
          direction: "AtoB",
          architecture: { netG: "resnet_6blocks", ngf: 16, params: 494083, macs256: 2_000_000_000 },
          io: {
            input: { name: "input", layout: "NCHW", dtype: "float32", channels: 3, range: [-1, 1] },
            output: {
              name: "output",
              layout: "NCHW",
              dtype: "float32",
              channels: 3,
              range: [-1, 1],
            },
            sizeMultiple: 4,
            trainedSize: 64,
            recommendedMaxSide: 512,
          },
          variants: [
            {
              dtype: "int8",
              file: "AtoB.int8.onnx",
              bytes: 600_000,
              sha256: sha,
              opset: 17,
              providers: ["wasm", "webgpu"],
              check: { maxAbsDiff: 0.02, psnrDb: 41.2 },
            },
          ],
        },
      ],
      provenance: {
        kind: "trained",
        dataset: { name: "glyphs", source: "Debian fonts-arphic", trainA: 1000, trainB: 1000 },
        config: { netG: "resnet_6blocks", ngf: 16, crop_size: 64 },
        iterations: 1500,
        epochs: 1.5,
        wallSeconds: 5400,
        backend: "wasm (SIMD, 1 thread)",
        date: "2026-11-27T04:00:00Z",
      },
      metrics: [
        {
          name: "PSNR",
          value: 9.5,
          better: "higher",
          on: "200 held-out glyph pairs",
          baselines: { identity: 7.6, "Lab colour transfer": 7.9 },
        },
        {
          name: "L1",
          value: 0.25,
          better: "lower",
          on: "200 held-out glyph pairs",
          baselines: { identity: 0.21 },
        },
      ],
      license: { spdx: "Arphic-1999", attribution: "Fonts by Arphic Technology." },
      samples: [
        {
          direction: "AtoB",
          input: "sample-AtoB-1.in.jpg",
          output: "sample-AtoB-1.out.jpg",
          width: 64,
          height: 64,
        },
      ],
    },
  ],
}).models[0] as ModelEntry;

describe("model card", () => {
  const card = renderCard(entry);
  it("says what the model was trained on, for how long, and its licence", () => {
    expect(card).toContain("`glyphs` (1000 A and 1000 B training images)");
    expect(card).toContain("1500 iterations (1.5 epochs) in 1 h 30 min on wasm (SIMD, 1 thread)");
    expect(card).toContain("`Arphic-1999`");
  });
  it("tells whether each metric beats every baseline", () => {
    expect(card).toMatch(
      /\| PSNR \(higher is better\) .*\| 9\.5000 \| 7\.6000 \| 7\.9000 \| yes \|/,
    );
    expect(card).toMatch(/\| L1 \(lower is better\) .*\| 0\.2500 \| 0\.2100 \| - \| no \|/);
  });
  it("lists every file with its size and checked error", () => {
    expect(card).toContain(
      "| AtoB | int8 | `AtoB.int8.onnx` | 0.60 | 2.0e-2 | 41.2 | wasm, webgpu |",
    );
    expect(card).toContain("![output](sample-AtoB-1.out.jpg)");
  });
  it("shows a direction's sample grid instead of its pairs", () => {
    const grid = {
      direction: "AtoB" as const,
      file: "samples-AtoB.jpg",
      sha256: sha,
      width: 1564,
      height: 524,
      layout: "rows" as const,
      count: 6,
    };
    const withGrid = renderCard({ ...entry, sampleGrids: [grid] });
    expect(withGrid).toContain(
      "AtoB, 6 samples (inputs in the top row, each output under its input):\n\n![AtoB samples](samples-AtoB.jpg)",
    );
    expect(withGrid).not.toContain("sample-AtoB-1.out.jpg");
    const columns = renderCard({ ...entry, sampleGrids: [{ ...grid, layout: "columns" }] });
    expect(columns).toContain("inputs on the left, each output to the right of its input");
  });
});
