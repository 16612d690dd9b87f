import { existsSync, mkdtempSync, readdirSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { DatasetWriter } from "../../training/datasets/layout.ts";

const info = {
  name: "toy",
  description: "A toy set.",
  domains: { A: "a", B: "b" },
  split: "by hand",
  seed: 1,
  options: {},
  attribution: { "trainA/x.png": "CC0", "trainB/y.png": "CC-BY-SA-4.0", "testA/z.png": "CC0" },
};
const source = {
  package: "pkg",
  version: "1.0",
  sha256: "a".repeat(64),
  license: "CC0",
  copyright: "Files: *\nLicense: CC0\n",
};

describe("dataset writer", () => {
  it("writes the reference layout with counts and licences, replacing an older build only at the end", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "layout-"));
    const out = path.join(dir, "toy");
    const first = new DatasetWriter(out);
    first.write("trainA", "old.png", Buffer.from("old"));
    first.finish(info, [source]);

    const w = new DatasetWriter(out);
    w.write("trainA", "x.png", Buffer.from("x"));
    w.write("trainB", "y.png", Buffer.from("y"));
    w.write("testA", "z.png", Buffer.from("z"));
    expect(readdirSync(path.join(out, "trainA"))).toEqual(["old.png"]); // old build intact meanwhile
    const done = w.finish(info, [source]);

    expect(done.counts).toEqual({ trainA: 1, trainB: 1, testA: 1, testB: 0 });
    expect(readdirSync(path.join(out, "trainA"))).toEqual(["x.png"]);
    expect(readdirSync(dir)).toEqual(["toy"]);
    const json = JSON.parse(readFileSync(path.join(out, "dataset.json"), "utf8"));
    expect(json.sources).toEqual([
      { package: "pkg", version: "1.0", sha256: "a".repeat(64), license: "CC0" },
    ]);
    const md = readFileSync(path.join(out, "LICENSES.md"), "utf8");
    expect(md).toContain(`| pkg | 1.0 | \`${"a".repeat(64)}\` | CC0 |`);
    expect(md).toContain("- CC0: 2");
    expect(md).toContain("Files: *\nLicense: CC0");
  });

  it("leaves nothing behind when aborted, and refuses path-like names", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "layout-"));
    const w = new DatasetWriter(path.join(dir, "toy"));
    expect(() => w.write("trainA", "../evil.png", Buffer.from("x"))).toThrow(/plain file name/);
    w.abort();
    expect(existsSync(path.join(dir, "toy"))).toBe(false);
    expect(readdirSync(dir)).toEqual([]);
  });
});
