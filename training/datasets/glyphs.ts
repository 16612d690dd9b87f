/**
 * `glyphs`: printed Ming (A) <-> brush Kai (B) renders of Chinese characters.
 * Training sides use two disjoint character sets (so the data is truly
 * unpaired); the test sides hold the same held-out characters in both fonts,
 * which gives a ground truth for `npm run eval -- paired`.
 */
import path from "node:path";
import * as fontkit from "fontkit";
import { forEachLimited } from "../util/for-each-limited.ts";
import { type DebPin, fetchPackage } from "./debs.ts";
import {
  DEFAULT_STYLE,
  type GlyphOutline,
  type GlyphStyle,
  glyphFits,
  renderGlyph,
} from "./glyph-render.ts";
import { type DatasetInfo, DatasetWriter, type SourceInfo } from "./layout.ts";
import type { Recipe, RecipeOptions } from "./recipe-contract.ts";
import { shuffled, takeParts } from "./split.ts";

export const GLYPH_PINS = {
  ming: {
    name: "fonts-arphic-uming",
    version: "0.2.20080216.2-11",
    sha256: "2676b21b90df94f23418610291b71b43720c95cdccb420b97ab56edfd3ce4cf5",
    arch: "all",
  },
  kai: {
    name: "fonts-arphic-ukai",
    version: "0.2.20080216.2-5",
    sha256: "b9db73184895b067f7911f9adbf3b137df99c2d4ec5425b4ad779a9834b7110b",
    arch: "all",
  },
} as const satisfies Record<string, DebPin>;

const FONT_DIR = "usr/share/fonts/truetype/arphic";
/** The Taiwan faces of both collections: Arphic's original Big5 designs, same regional forms. */
const FACES = {
  ming: { file: "uming.ttc", face: "UMingTW" },
  kai: { file: "ukai.ttc", face: "UKaiTW" },
};
const LICENSE = "Arphic Public License (SPDX: Arphic-1999); Debian packaging GPL-2+";

/**
 * Big5 level 1: the 5,401 frequently used characters (lead bytes 0xA4-0xC6),
 * decoded with the WHATWG big5 decoder built into Node. Common characters
 * make a more recognisable demo than a random draw from the whole block.
 */
export function commonCharacters(): string[] {
  const decoder = new TextDecoder("big5", { fatal: true });
  const chars: string[] = [];
  for (let lead = 0xa4; lead <= 0xc6; lead++) {
    const trails = [...range(0x40, 0x7e), ...range(0xa1, 0xfe)];
    for (const trail of trails) {
      if (lead === 0xc6 && trail > 0x7e) break; // level 1 ends at 0xC67E
      chars.push(decoder.decode(new Uint8Array([lead, trail])));
    }
  }
  return chars;
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

export interface GlyphPlan {
  trainA: string[];
  trainB: string[];
  test: string[];
}

/** Seeded split of the usable characters: test first, then two disjoint training sets. */
export function planGlyphSplit(
  usable: readonly string[],
  counts: { train: number; test: number },
  seed: number,
): GlyphPlan {
  const sorted = [...usable].sort();
  const [test, trainA, trainB] = takeParts(shuffled(sorted, seed), [
    counts.test,
    counts.train,
    counts.train,
  ]);
  return { test: test ?? [], trainA: trainA ?? [], trainB: trainB ?? [] };
}

/** Name files by code point so testA/uXXXX.png and testB/uXXXX.png are the pair. */
export function glyphFileName(ch: string): string {
  return `u${(ch.codePointAt(0) ?? 0).toString(16).padStart(4, "0")}.png`;
}

type Face = { outline(ch: string): GlyphOutline | null };

function openFace(root: string, file: string, postscriptName: string): Face {
  const font = fontkit.openSync(path.join(root, FONT_DIR, file), postscriptName);
  if (!("glyphForCodePoint" in font)) throw new Error(`${file} has no face ${postscriptName}`);
  return {
    outline(ch) {
      const cp = ch.codePointAt(0) ?? 0;
      if (!font.hasGlyphForCodePoint(cp)) return null;
      const g = font.glyphForCodePoint(cp);
      const svgPath = g.path.toSVG();
      if (svgPath === "") return null;
      const { minX, minY, maxX, maxY } = g.path.bbox;
      return { svgPath, bbox: { minX, minY, maxX, maxY }, unitsPerEm: font.unitsPerEm };
    },
  };
}

async function build(opts: RecipeOptions): Promise<DatasetInfo> {
  const style: GlyphStyle = { ...DEFAULT_STYLE, size: opts.size ?? 64 };
  const train = opts.train ?? 2500;
  const test = opts.test ?? 200;
  const [ming, kai] = await Promise.all([
    fetchPackage(GLYPH_PINS.ming, opts.cache, [`./${FONT_DIR}/${FACES.ming.file}`]),
    fetchPackage(GLYPH_PINS.kai, opts.cache, [`./${FONT_DIR}/${FACES.kai.file}`]),
  ]);
  const faces = {
    A: openFace(ming.root, FACES.ming.file, FACES.ming.face),
    B: openFace(kai.root, FACES.kai.file, FACES.kai.face),
  };
  const common = commonCharacters();
  const usable = common.filter((ch) =>
    [faces.A.outline(ch), faces.B.outline(ch)].every((o) => o !== null && glyphFits(o, style)),
  );
  console.log(
    `${usable.length} of ${common.length} common characters render in both fonts and fit`,
  );
  const plan = planGlyphSplit(usable, { train, test }, opts.seed);

  const writer = new DatasetWriter(opts.out);
  try {
    const jobs = [
      ...plan.trainA.map((ch) => ({ ch, split: "trainA" as const, face: faces.A })),
      ...plan.trainB.map((ch) => ({ ch, split: "trainB" as const, face: faces.B })),
      ...plan.test.map((ch) => ({ ch, split: "testA" as const, face: faces.A })),
      ...plan.test.map((ch) => ({ ch, split: "testB" as const, face: faces.B })),
    ];
    await forEachLimited(jobs, 8, "rendering", async ({ ch, split, face }) => {
      const outline = face.outline(ch) as GlyphOutline; // checked when `usable` was built
      writer.write(split, glyphFileName(ch), await renderGlyph(outline, style));
    });
    const pairs = plan.test.map((ch) => ({
      char: ch,
      A: `testA/${glyphFileName(ch)}`,
      B: `testB/${glyphFileName(ch)}`,
    }));
    writer.writeExtra("pairs.json", `${JSON.stringify(pairs, null, 1)}\n`);
    const sources: SourceInfo[] = [ming, kai].map((p) => ({
      package: p.pin.name,
      version: p.pin.version,
      sha256: p.pin.sha256,
      license: LICENSE,
      copyright: p.copyright,
    }));
    return writer.finish(
      {
        name: "glyphs",
        description:
          `Chinese characters rendered at ${style.size}x${style.size}, black on white: ` +
          `A = AR PL UMing (printed Ming), B = AR PL UKai (brush Kai).`,
        domains: {
          A: "printed Ming glyphs (AR PL UMing TW)",
          B: "brush Kai glyphs (AR PL UKai TW)",
        },
        split:
          `From the Big5 level-1 common characters that render in both fonts (${usable.length}), a seeded ` +
          `shuffle gives ${test} held-out test characters (rendered in both fonts: testA/X.png and ` +
          `testB/X.png are the same character, listed in pairs.json), then ${train} characters for trainA ` +
          `and ${train} other characters for trainB (no character is in more than one of the three sets).`,
        seed: opts.seed,
        options: { size: style.size, emScale: style.emScale, train, test, faces: FACES },
      },
      sources,
    );
  } catch (err) {
    writer.abort();
    throw err;
  }
}

export const glyphs: Recipe = {
  name: "glyphs",
  summary: "printed Ming <-> brush Kai Chinese glyphs (paired test set), from fonts-arphic-*",
  build,
};
