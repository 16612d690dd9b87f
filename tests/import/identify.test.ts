/**
 * What a state dict that is not a reference ResNet generator is said to be
 * (training/import/identify.ts), on the layouts of this project's own
 * networks (training/networks follows the reference's key names).
 */
import { describe, expect, it } from "vitest";
import { identifyStateDict } from "../../training/import/identify.ts";
import { buildDiscriminator, buildGenerator } from "../../training/networks/index.ts";
import { type NetworkSpec, paramShapes } from "../../training/networks/spec.ts";

const shapesOf = (spec: NetworkSpec) => new Map(paramShapes(spec).map((p) => [p.name, p.shape]));

describe("identifyStateDict", () => {
  it("names discriminators with ndf, layers and input channels", () => {
    expect(
      identifyStateDict(shapesOf(buildDiscriminator("basic", { ndf: 64, nLayersD: 3 }))).what,
    ).toBe("a PatchGAN discriminator (ndf 64, 3 layers, 3 input channels)");
    const batch = buildDiscriminator("n_layers", {
      ndf: 8,
      nLayersD: 5,
      norm: "batch",
      inChannels: 6,
    });
    expect(identifyStateDict(shapesOf(batch)).what).toBe(
      "a PatchGAN discriminator (ndf 8, 5 layers, 6 input channels)",
    );
  });

  it("names U-Nets by the reference's option", () => {
    for (const netG of ["unet_128", "unet_256"] as const)
      expect(identifyStateDict(shapesOf(buildGenerator(netG, { ngf: 4 }))).what).toBe(
        `a U-Net generator (${netG}, ngf 4)`,
      );
  });

  it("says another network is not a CycleGAN generator, and an empty dict is empty", () => {
    const classifier = new Map([
      ["conv1.weight", [64, 3, 7, 7]],
      ["fc.weight", [1000, 2048]],
    ]);
    expect(identifyStateDict(classifier).what).toMatch(/another network, not a CycleGAN generator/);
    expect(identifyStateDict(new Map()).what).toBe("an empty state dict");
  });
});
