import { describe, expect, it } from "vitest";
import { labelsOf } from "../../training/eval/generator.ts";
import { BASELINES, isBaseline } from "../../training/eval/paired.ts";

describe("eval labels", () => {
  it("keep one row per model file, even for look-alike paths or a repeated file", () => {
    expect(labelsOf(["models/a/AtoB.fp32.onnx", "models/b/AtoB.fp32.onnx"])).toEqual([
      "a/AtoB.fp32.onnx",
      "b/AtoB.fp32.onnx",
    ]);
    // same folder name and file name in two places: the paths as given
    expect(labelsOf(["x/glyphs/AtoB.onnx", "y/glyphs/AtoB.onnx"])).toEqual([
      "x/glyphs/AtoB.onnx",
      "y/glyphs/AtoB.onnx",
    ]);
    expect(labelsOf(["m/g/AtoB.onnx", "m/g/AtoB.onnx"])).toEqual([
      "m/g/AtoB.onnx",
      "m/g/AtoB.onnx (2)",
    ]);
  });

  it("tell baselines by their labels, not by a prefix a model's folder may share", () => {
    expect(isBaseline(BASELINES.identity)).toBe(true);
    expect(isBaseline(BASELINES.colour)).toBe(true);
    expect(isBaseline("baseline-runs/AtoB.fp32.onnx")).toBe(false);
  });
});
