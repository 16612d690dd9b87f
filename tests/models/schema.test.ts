import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { type Generator, ManifestError, parseManifest, STANDARD_IO } from "../../models/schema.ts";
import { pickVariant } from "../../models/select.ts";

const sha = "a".repeat(64);
const generator: Generator = {
  direction: "AtoB",
  architecture: { netG: "resnet_6blocks", ngf: 32, upsample: "transpose", params: 1, macs256: 1 },
  io: {
    ...STANDARD_IO,
    input: { ...STANDARD_IO.input, range: [-1, 1] },
    output: { ...STANDARD_IO.output, range: [-1, 1] },
    sizeMultiple: 4,
    trainedSize: 128,
    recommendedMaxSide: 512,
  },
  variants: [
    {
      dtype: "fp32",
      file: "a2b.fp32.onnx",
      bytes: 10,
      sha256: sha,
      opset: 17,
      providers: ["wasm", "webgpu"],
      requires: [],
      check: { maxAbsDiff: 0, psnrDb: 99 },
    },
    {
      dtype: "fp16",
      file: "a2b.fp16.onnx",
      bytes: 5,
      sha256: sha,
      opset: 17,
      providers: ["webgpu", "wasm"],
      requires: ["shader-f16"],
      check: { maxAbsDiff: 0.01, psnrDb: 60 },
    },
    {
      dtype: "int8",
      file: "a2b.int8.onnx",
      bytes: 3,
      sha256: sha,
      opset: 17,
      providers: ["wasm", "webgpu"],
      requires: [],
      check: { maxAbsDiff: 0.05, psnrDb: 38 },
    },
  ],
};

function entry(id: string) {
  return {
    id,
    title: "T",
    description: "",
    domains: { A: { name: "a", description: "" }, B: { name: "b", description: "" } },
    generators: [generator],
    provenance: { kind: "imported", source: "x.pth", sha256: sha, date: "2026-11-27T00:00:00Z" },
    license: { spdx: "MIT", attribution: "" },
  };
}

describe("manifest schema", () => {
  it("accepts the shipped manifest", () => {
    const json = JSON.parse(
      readFileSync(new URL("../../models/manifest.json", import.meta.url), "utf8"),
    );
    expect(parseManifest(json).schemaVersion).toBe(1);
  });

  it("fills defaults and keeps entries", () => {
    const m = parseManifest({ schemaVersion: 1, models: [entry("demo")] });
    expect(m.models[0]?.metrics).toEqual([]);
  });

  it("lists every problem with its path", () => {
    const bad = entry("Bad_ID") as Record<string, unknown>;
    bad.generators = [
      {
        ...generator,
        variants: [{ ...generator.variants[0], file: "../etc/passwd", sha256: "xyz" }],
      },
    ];
    expect(() => parseManifest({ schemaVersion: 1, models: [bad] })).toThrow(ManifestError);
    try {
      parseManifest({ schemaVersion: 1, models: [bad] });
    } catch (e) {
      const msg = (e as Error).message;
      expect(msg).toMatch(/models\.0\.id/);
      expect(msg).toMatch(/models\.0\.generators\.0\.variants\.0\.file/);
      expect(msg).toMatch(/sha256/);
    }
  });

  it("rejects duplicate ids", () => {
    expect(() => parseManifest({ schemaVersion: 1, models: [entry("x"), entry("x")] })).toThrow(
      /duplicate model id "x"/,
    );
  });
});

describe("io contract", () => {
  it("takes only sides in multiples of 4, what the site pads and tiles to", () => {
    const manifest = (sizeMultiple: number) => ({
      schemaVersion: 1,
      models: [
        {
          ...JSON.parse(
            readFileSync(new URL("../../models/manifest.json", import.meta.url), "utf8"),
          ).models[0],
        },
      ].map((m) => ({
        ...m,
        generators: m.generators.map((g: Generator) => ({ ...g, io: { ...g.io, sizeMultiple } })),
      })),
    });
    expect(() => parseManifest(manifest(4))).not.toThrow();
    expect(() => parseManifest(manifest(256))).toThrow(/sizeMultiple must be 4/);
  });
});

describe("variant choice", () => {
  it("gives fp16 only to WebGPU adapters with shader-f16", () => {
    expect(pickVariant(generator, { provider: "webgpu", shaderF16: true })?.dtype).toBe("fp16");
    expect(pickVariant(generator, { provider: "webgpu" })?.dtype).toBe("fp32");
    expect(pickVariant(generator, { provider: "wasm" })?.dtype).toBe("int8");
  });

  it("never hands a shader-f16 variant to a client without it", () => {
    const onlyF16 = {
      ...generator,
      variants: generator.variants.filter((v) => v.dtype === "fp16"),
    };
    expect(pickVariant(onlyF16, { provider: "webgpu" })).toBeUndefined();
    expect(pickVariant(onlyF16, { provider: "wasm" })).toBeUndefined();
    // a WebAssembly client on a machine whose GPU has shader-f16 still cannot run it
    expect(pickVariant(onlyF16, { provider: "wasm", shaderF16: true })).toBeUndefined();
    const noInt8 = { ...generator, variants: generator.variants.filter((v) => v.dtype !== "int8") };
    expect(pickVariant(noInt8, { provider: "wasm", shaderF16: true })?.dtype).toBe("fp32");
  });
});
