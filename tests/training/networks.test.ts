import { describe, expect, it } from "vitest";
import { buildDiscriminator, buildGenerator } from "../../training/networks/index.ts";
import { countMacs, countParams, paramShapes } from "../../training/networks/spec.ts";

describe("network specs", () => {
  it("ResNet-9 / ngf 64 has the reference's parameter count and multiply-adds", () => {
    const g = buildGenerator("resnet_9blocks", { ngf: 64 });
    expect(countParams(g)).toBe(11_378_179);
    // 49.6 G at 256x256 with transposed convs counted at input resolution.
    expect(countMacs(g, 256, 256) / 1e9).toBeCloseTo(49.55, 2);
  });

  it("names parameters like the reference state dict", () => {
    const names = paramShapes(buildGenerator("resnet_9blocks", { ngf: 64 })).map((p) => p.name);
    for (const key of [
      "model.1.weight",
      "model.4.bias",
      "model.7.weight",
      "model.10.conv_block.1.weight",
      "model.18.conv_block.5.bias",
      "model.19.weight",
      "model.22.weight",
      "model.26.bias",
    ]) {
      expect(names).toContain(key);
    }
    const six = paramShapes(buildGenerator("resnet_6blocks", { ngf: 32 }));
    expect(six.find((p) => p.name === "model.16.weight")?.shape).toEqual([128, 64, 3, 3]);
    expect(six.find((p) => p.name === "model.23.weight")?.shape).toEqual([3, 32, 7, 7]);
  });

  it("70x70 PatchGAN matches the reference layer sizes", () => {
    const d = buildDiscriminator("basic", { ndf: 64, nLayersD: 3 });
    expect(countParams(d)).toBe(2_764_737);
    expect(paramShapes(d).map((p) => p.shape[0])).toEqual([
      64, 64, 128, 128, 256, 256, 512, 512, 1, 1,
    ]);
  });

  it("rejects unknown architectures with the valid names", () => {
    expect(() => buildGenerator("resnet_7blocks", { ngf: 8 })).toThrow(
      /resnet_9blocks, resnet_6blocks/,
    );
  });
});
