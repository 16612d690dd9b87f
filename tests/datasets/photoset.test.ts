import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import sharp from "sharp";
import { beforeAll, describe, expect, it } from "vitest";
import type { FetchedPackage } from "../../training/datasets/debs.ts";
import {
  type PhotoItem,
  resizeShortSide,
  writePhotoSet,
} from "../../training/datasets/photoset.ts";
import { isLandscapePhoto, SUMMER_PHOTOS, WINTER_PHOTOS } from "../../training/datasets/sources.ts";

let dir: string;

async function photo(
  name: string,
  w: number,
  h: number,
  rgb: [number, number, number],
): Promise<string> {
  const file = path.join(dir, `${name}.png`);
  await sharp({
    create: { width: w, height: h, channels: 3, background: { r: rgb[0], g: rgb[1], b: rgb[2] } },
  })
    .png()
    .toFile(file);
  return file;
}

const fakePkg: FetchedPackage = {
  pin: { name: "fake", version: "1", sha256: "b".repeat(64), arch: "all" },
  root: "/nonexistent",
  copyright: "License: CC0\n",
};

describe("photo sets", () => {
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), "photoset-"));
  });

  it("resizes to the short side without enlarging, as RGB JPEG", async () => {
    const wide = await sharp(
      await resizeShortSide(await photo("wide", 200, 100, [0, 128, 0]), 40),
    ).metadata();
    expect([wide.width, wide.height, wide.format, wide.channels]).toEqual([80, 40, "jpeg", 3]);
    const tall = await sharp(
      await resizeShortSide(await photo("tall", 60, 120, [0, 0, 200]), 40),
    ).metadata();
    expect([tall.width, tall.height]).toEqual([40, 80]);
    const small = await sharp(
      await resizeShortSide(await photo("small", 30, 20, [9, 9, 9]), 40),
    ).metadata();
    expect([small.width, small.height]).toEqual([30, 20]);
  });

  it("splits each side by seed, writes the layout and a licence per file", async () => {
    const side = async (
      prefix: string,
      n: number,
      rgb: [number, number, number],
    ): Promise<PhotoItem[]> =>
      Promise.all(
        Array.from({ length: n }, async (_, i) => ({
          file: await photo(`${prefix}${i}`, 64, 48, rgb),
          name: `${prefix}${i}`,
          license: prefix === "a" ? "CC0" : "GPL-2+",
        })),
      );
    const spec = {
      name: "toy",
      description: "toy",
      domains: { A: "green", B: "white" },
      selection: "All files.",
      A: await side("a", 10, [20, 160, 20]),
      B: await side("b", 6, [240, 240, 240]),
      packages: [{ pkg: fakePkg, license: "CC0" }],
    };
    const out = path.join(dir, "toy");
    const info = await writePhotoSet(spec, { out, cache: dir, seed: 3, size: 32, test: 20 });
    expect(info.counts).toEqual({ trainA: 8, trainB: 5, testA: 2, testB: 1 });
    const again = await writePhotoSet(spec, {
      out: path.join(dir, "toy2"),
      cache: dir,
      seed: 3,
      size: 32,
      test: 20,
    });
    expect(readdirSync(path.join(dir, "toy2", "testA"))).toEqual(
      readdirSync(path.join(out, "testA")),
    );
    expect(again.attribution).toEqual(info.attribution);
    expect(Object.keys(info.attribution ?? {})).toHaveLength(16);
    expect(info.attribution?.[`testB/${readdirSync(path.join(out, "testB"))[0]}`]).toBe("GPL-2+");
    const meta = await sharp(
      readFileSync(path.join(out, "trainA", readdirSync(path.join(out, "trainA"))[0] as string)),
    ).metadata();
    expect([meta.width, meta.height]).toEqual([43, 32]);
  });

  it("rejects duplicate output names and impossible test shares", async () => {
    const item = { file: await photo("x", 8, 8, [0, 0, 0]), name: "x", license: "CC0" };
    const spec = {
      name: "d",
      description: "",
      domains: { A: "a", B: "b" },
      selection: "",
      packages: [],
    };
    await expect(
      writePhotoSet(
        { ...spec, A: [item, item], B: [item, { ...item, name: "y" }] },
        { out: path.join(dir, "d"), cache: dir, seed: 1 },
      ),
    ).rejects.toThrow(/both be called x/);
    await expect(
      writePhotoSet(
        { ...spec, A: [item], B: [item] },
        { out: path.join(dir, "d"), cache: dir, seed: 1, test: 100 },
      ),
    ).rejects.toThrow(/percentage/);
  });

  it("keeps the summer and winter lists disjoint landscape photos", () => {
    expect(SUMMER_PHOTOS.filter((f) => WINTER_PHOTOS.includes(f))).toEqual([]);
    for (const f of [...SUMMER_PHOTOS, ...WINTER_PHOTOS]) expect(isLandscapePhoto(f)).toBe(true);
    expect(isLandscapePhoto("city3.jpg")).toBe(false);
    expect(isLandscapePhoto("station1.jpg")).toBe(false);
  });
});
