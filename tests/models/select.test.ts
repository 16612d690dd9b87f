/**
 * One device policy: the exporter publishes each variant with
 * variantTargets (models/select.ts), and pickVariant reads the same table.
 * Expected values are written out by hand.
 */
import { describe, expect, it } from "vitest";
import { DTYPES, type Generator, STANDARD_IO } from "../../models/schema.ts";
import { type ClientCaps, pickVariant, variantTargets } from "../../models/select.ts";

/** A generator holding every dtype with the targets the exporter writes. */
const exported: Generator = {
  direction: "AtoB",
  architecture: { netG: "resnet_6blocks", ngf: 8, upsample: "transpose", params: 1, macs256: 1 },
  io: { ...STANDARD_IO, sizeMultiple: 4, trainedSize: 64, recommendedMaxSide: 512 },
  variants: DTYPES.map((dtype) => ({
    dtype,
    file: `AtoB.${dtype}.onnx`,
    bytes: 1,
    sha256: "a".repeat(64),
    opset: 17,
    ...variantTargets(dtype),
    check: { maxAbsDiff: 0, psnrDb: 99 },
  })),
};

describe("device policy", () => {
  it("publishes each dtype for the clients that pick it, recommended provider first", () => {
    expect(variantTargets("fp32")).toEqual({ providers: ["webgpu", "wasm"], requires: [] });
    expect(variantTargets("fp16")).toEqual({ providers: ["webgpu"], requires: ["shader-f16"] });
    expect(variantTargets("int8")).toEqual({ providers: ["wasm", "webgpu"], requires: [] });
  });

  it.each([
    [{ provider: "webgpu", shaderF16: true }, "fp16"],
    [{ provider: "webgpu" }, "fp32"],
    [{ provider: "wasm" }, "int8"],
    [{ provider: "wasm", shaderF16: true }, "int8"],
  ] as [ClientCaps, string][])("an exported model gives %o its %s variant", (caps, dtype) => {
    expect(pickVariant(exported, caps)?.dtype).toBe(dtype);
  });

  it("falls back along the same table when a variant is missing", () => {
    const without = (d: string) => ({
      ...exported,
      variants: exported.variants.filter((v) => v.dtype !== d),
    });
    expect(pickVariant(without("fp16"), { provider: "webgpu", shaderF16: true })?.dtype).toBe(
      "fp32",
    );
    expect(pickVariant(without("int8"), { provider: "wasm" })?.dtype).toBe("fp32");
    expect(pickVariant(without("fp32"), { provider: "webgpu" })?.dtype).toBe("int8");
  });
});
