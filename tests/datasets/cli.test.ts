import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { RECIPES } from "../../training/datasets/recipes.ts";

const run = promisify(execFile);
const cli = path.resolve("training/datasets/cli.ts");

describe("dataset command", () => {
  it("lists the valid names when given an unknown one, and rejects bad numbers", async () => {
    await expect(run(process.execPath, [cli, "horse2zebra"])).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringContaining(
        'Unknown dataset "horse2zebra". Should be one of: glyphs, landscapes2paintings, summer2winter, photo2sketch, photo2cartoon, photo2oil, photo2watercolour.',
      ),
    });
    await expect(run(process.execPath, [cli, "glyphs", "--size", "0"])).rejects.toMatchObject({
      stderr: expect.stringMatching(/--size must be a positive integer/),
    });
  });

  it("registers each recipe under its own name", () => {
    for (const [name, recipe] of Object.entries(RECIPES)) expect(recipe.name).toBe(name);
  });
});
