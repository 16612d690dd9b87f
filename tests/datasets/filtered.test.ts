import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import sharp from "sharp";
import { beforeAll, describe, expect, it } from "vitest";
import type { FetchedPackage } from "../../training/datasets/debs.ts";
import {
  type FilterSpec,
  planFilterSplit,
  writeFilteredSet,
} from "../../training/datasets/filtered.ts";
import { pencilSketch, type RgbImage, SKETCH } from "../../training/datasets/filters.ts";
import type { PhotoItem } from "../../training/datasets/photoset.ts";
import { isOutdoorPhoto } from "../../training/datasets/sources.ts";

let dir: string;

const fakePkg: FetchedPackage = {
  pin: { name: "fake", version: "1", sha256: "c".repeat(64), arch: "all" },
  root: "/nonexistent",
  copyright: "License: CC0\n",
};

const sketchSpec: FilterSpec = {
  name: "toy2sketch",
  filter: "pencil sketch",
  domainB: "sketches",
  how: "pencil sketch",
  params: SKETCH,
  apply: (img) => pencilSketch(img),
};

async function raw(file: string): Promise<RgbImage> {
  const { data, info } = await sharp(file).raw().toBuffer({ resolveWithObject: true });
  expect(info.channels).toBe(3);
  return { width: info.width, height: info.height, data: new Uint8Array(data) };
}

/** A 60x40 photo with a dark block whose place depends on `i`, so each photo differs. */
async function photo(i: number): Promise<PhotoItem> {
  const file = path.join(dir, `p${i}.png`);
  await sharp({ create: { width: 60, height: 40, channels: 3, background: "#c8b48c" } })
    .composite([
      {
        input: { create: { width: 12, height: 12, channels: 3, background: "#284060" } },
        left: 4 * i,
        top: 10,
      },
    ])
    .png()
    .toFile(file);
  return { file, name: `es-p${i}`, license: i % 2 ? "CC0" : "CC-BY-SA-4.0" };
}

describe("filter set split", () => {
  const names = Array.from({ length: 254 }, (_, i) => `photo${i}`);

  it("holds out a test share and cuts the rest into two disjoint halves", () => {
    const plan = planFilterSplit(names, 0.16, 1, (n) => n);
    expect([plan.test.length, plan.trainA.length, plan.trainB.length]).toEqual([41, 107, 106]);
    expect(new Set([...plan.test, ...plan.trainA, ...plan.trainB]).size).toBe(254);
    expect(planFilterSplit([...names].reverse(), 0.16, 1, (n) => n)).toEqual(plan);
    expect(planFilterSplit(names, 0.16, 2, (n) => n).test).not.toEqual(plan.test);
  });

  it("caps each half without touching the test set", () => {
    const plan = planFilterSplit(names, 0.16, 1, (n) => n, 10);
    expect([plan.test.length, plan.trainA.length, plan.trainB.length]).toEqual([41, 10, 10]);
    expect(plan.trainB.filter((n) => plan.trainA.includes(n))).toEqual([]);
  });

  it("--shared-train gives both sides every training photo and still holds out the test set", () => {
    const plan = planFilterSplit(names, 0.16, 1, (n) => n, Number.POSITIVE_INFINITY, true);
    expect([plan.test.length, plan.trainA.length, plan.trainB.length]).toEqual([41, 213, 213]);
    expect(plan.trainB).toEqual(plan.trainA);
    expect(plan.trainA.filter((n) => plan.test.includes(n))).toEqual([]);
    expect(planFilterSplit(names, 0.16, 1, (n) => n, 10, true).trainB).toHaveLength(10);
  });

  it("keeps outdoor photos of every category and drops interiors and space imagery", () => {
    for (const f of ["city3.jpg", "nasa1.jpg", "lava2.jpg", "mountain20-harro.jpg"])
      expect(isOutdoorPhoto(f)).toBe(true);
    for (const f of ["space1.jpg", "station0.jpg", "loc2.jpg", "earthrise.jpg", "nasa9.jpg"])
      expect(isOutdoorPhoto(f)).toBe(false);
  });
});

describe("filter set layout", () => {
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), "filtered-"));
  });

  it("writes photos, filtered other photos, and aligned test pairs with licences", async () => {
    const items = await Promise.all(Array.from({ length: 12 }, (_, i) => photo(i)));
    const out = path.join(dir, "toy");
    const opts = { out, cache: dir, seed: 5, size: 30, test: 25 };
    const info = await writeFilteredSet(sketchSpec, { pkg: fakePkg, items }, opts);
    expect(info.counts).toEqual({ trainA: 5, trainB: 4, testA: 3, testB: 3 });

    const ls = (split: string) => readdirSync(path.join(out, split)).sort();
    expect(ls("testB")).toEqual(ls("testA"));
    const train = [...ls("trainA"), ...ls("trainB"), ...ls("testA")];
    expect(new Set(train).size).toBe(12); // no photo in two of the three sets

    const pairs = JSON.parse(readFileSync(path.join(out, "pairs.json"), "utf8"));
    expect(pairs).toEqual(ls("testA").map((f) => ({ A: `testA/${f}`, B: `testB/${f}` })));
    for (const f of ls("testA")) {
      const a = await raw(path.join(out, "testA", f));
      expect([a.width, a.height]).toEqual([45, 30]);
      const b = await raw(path.join(out, "testB", f));
      expect(Buffer.from(b.data).equals(Buffer.from(pencilSketch(a).data))).toBe(true);
    }

    expect(Object.keys(info.attribution ?? {})).toHaveLength(15);
    const first = ls("trainB")[0] as string;
    const source = items.find((p) => `${p.name}.png` === first);
    expect(info.attribution?.[`trainB/${first}`]).toBe(source?.license);
    expect(info.options.filter).toEqual({ name: "pencil sketch", params: SKETCH });
    expect(info.sources.map((s) => s.package)).toEqual(["fake"]);

    const again = path.join(dir, "toy2");
    await writeFilteredSet(sketchSpec, { pkg: fakePkg, items }, { ...opts, out: again });
    for (const split of ["trainA", "trainB", "testA", "testB"])
      for (const f of ls(split))
        expect(
          readFileSync(path.join(again, split, f)).equals(readFileSync(path.join(out, split, f))),
        ).toBe(true);
  });

  it("--shared-train writes each training photo to trainA and its filter to trainB", async () => {
    const items = await Promise.all(Array.from({ length: 12 }, (_, i) => photo(i)));
    const out = path.join(dir, "shared");
    const opts = { out, cache: dir, seed: 5, size: 30, test: 25, sharedTrain: true };
    const info = await writeFilteredSet(sketchSpec, { pkg: fakePkg, items }, opts);
    expect(info.counts).toEqual({ trainA: 9, trainB: 9, testA: 3, testB: 3 });
    expect(info.options.sharedTrain).toBe(true);
    const ls = (split: string) => readdirSync(path.join(out, split)).sort();
    expect(ls("trainB")).toEqual(ls("trainA"));
    expect(ls("trainA").filter((f) => ls("testA").includes(f))).toEqual([]);
    for (const f of ls("trainA")) {
      const a = await raw(path.join(out, "trainA", f));
      const b = await raw(path.join(out, "trainB", f));
      expect(Buffer.from(b.data).equals(Buffer.from(pencilSketch(a).data))).toBe(true);
    }
  });
});
