/**
 * Checkpoints saved by real PyTorch (tests/fixtures/pth, made with Debian's
 * python3-torch by make_pth.py, test-only): the importer reads both container
 * formats and the exported fp32 graph gives PyTorch's own output for the same
 * input within the fp32 budget (the reference's ResnetGenerator, 6 and 9
 * blocks; 3.0e-5 and 5.2e-5 measured).
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { BUDGETS } from "../../training/export/budgets.ts";
import { onnxRunner } from "../../training/export/infer.ts";
import { buildOnnx } from "../../training/export/onnx.ts";
import { generatorFromStateDict } from "../../training/import/state-dict.ts";
import { readTorchFile } from "../../training/import/torch-file.ts";

const DIR = new URL("../fixtures/pth/", import.meta.url);
const torch = JSON.parse(readFileSync(new URL("torch-output.json", DIR), "utf8")) as Record<
  string,
  number[]
> & { shape: number[]; torch: string };

describe("real torch.save files", () => {
  for (const [name, netG] of [
    ["torch-zip", "resnet_6blocks"],
    ["torch-legacy", "resnet_9blocks"],
  ] as const) {
    it(`${name}.pth (PyTorch ${torch.torch}) converts to a graph that gives PyTorch's output`, async () => {
      const file = `${name}.pth`;
      const g = generatorFromStateDict(readTorchFile(readFileSync(new URL(file, DIR)), file), file);
      expect([g.netG, g.ngf, g.norm]).toEqual([netG, 4, "instance"]);
      const [, , h, w] = torch.shape as [number, number, number, number];
      const session = await onnxRunner(buildOnnx(g.spec, g.weights, "fp32"), 4);
      const out = await session.run({
        data: Float32Array.from(torch.input as number[]),
        width: w,
        height: h,
      });
      await session.release();
      const expected = torch[name] as number[];
      let max = 0;
      for (let i = 0; i < expected.length; i++)
        max = Math.max(max, Math.abs((out.data[i] as number) - (expected[i] as number)));
      expect(out.data.length).toBe(expected.length);
      // The export's fp32 budget (PyTorch's own float32 sums differ from ours by a few 1e-5).
      expect(max).toBeLessThanOrEqual(BUDGETS.fp32.maxAbsDiff as number);
    });
  }
});
