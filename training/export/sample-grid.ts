/**
 * One picture of a direction's samples for the model card (issue 16: "a
 * sample grid of held-out inputs and outputs"), composed from the same images
 * the sample JPEGs are made of, so it adds no inference and shows exactly
 * what the pairs show.
 */
import sharp, { type OverlayOptions } from "sharp";
import { chwToPixels } from "../../models/contract.ts";
import type { SampleGrid } from "../../models/schema.ts";
import type { PlanarImage } from "./infer.ts";

/** White space between and around the cells, in pixels. */
export const GUTTER = 4;
/** A rows picture wider than this would be shrunk out of legibility on a card: use columns. */
export const MAX_ROWS_WIDTH = 1600;
/** Photos wider than this (4:3) make a thin strip in rows; they read better as columns. */
export const MAX_ROWS_ASPECT = 4 / 3;

export type GridLayout = SampleGrid["layout"];

export interface Cell {
  left: number;
  top: number;
}

export interface GridPlan {
  layout: GridLayout;
  width: number;
  height: number;
  /** Where sample k's input and output go (centred in their cell). */
  cells: { input: Cell; output: Cell }[];
}

interface Size {
  width: number;
  height: number;
}

/**
 * "rows": inputs in the top row, each output under its input; "columns": one
 * sample per row, input left and output right. Rows unless the photos are
 * wide or the picture would be too wide. Each column (rows) or row (columns)
 * is as large as its sample; the other side takes the largest sample.
 */
export function planGrid(sizes: readonly Size[]): GridPlan {
  if (sizes.length === 0) throw new Error("a sample grid needs at least one sample");
  const sum = (f: (s: Size) => number) => sizes.reduce((n, s) => n + f(s), 0);
  const max = (f: (s: Size) => number) => Math.max(...sizes.map(f));
  const along = (f: (s: Size) => number) => sum(f) + (sizes.length + 1) * GUTTER;
  const across = (f: (s: Size) => number) => 2 * max(f) + 3 * GUTTER;
  const aspect = sum((s) => s.width) / sum((s) => s.height);
  const layout: GridLayout =
    aspect <= MAX_ROWS_ASPECT && along((s) => s.width) <= MAX_ROWS_WIDTH ? "rows" : "columns";
  // The sample's slot along the list, and the two slots across it (input, output).
  const [long, short] =
    layout === "rows"
      ? [(s: Size) => s.width, (s: Size) => s.height]
      : [(s: Size) => s.height, (s: Size) => s.width];
  const slot = max(short);
  let offset = GUTTER;
  const cells = sizes.map((s) => {
    const centred = Math.floor((slot - short(s)) / 2);
    const [a, b] = [GUTTER + centred, 2 * GUTTER + slot + centred];
    const cell = (at: number): Cell =>
      layout === "rows" ? { left: offset, top: at } : { left: at, top: offset };
    const placed = { input: cell(a), output: cell(b) };
    offset += long(s) + GUTTER;
    return placed;
  });
  const [width, height] =
    layout === "rows" ? [along(long), across(short)] : [across(short), along(long)];
  return { layout, width, height, cells };
}

export interface SamplePair {
  input: PlanarImage;
  output: PlanarImage;
}

function overlay(image: PlanarImage, at: Cell): OverlayOptions {
  const { width, height } = image;
  const pixels = chwToPixels(image.data, width, height, 3);
  return {
    // sharp's overlay takes a Buffer; this views the pixels without copying.
    input: Buffer.from(pixels.buffer, pixels.byteOffset, pixels.byteLength),
    raw: { width, height, channels: 3 },
    ...at,
  };
}

/** The grid as a JPEG (same quality as the sample JPEGs) and its plan. */
export async function composeGrid(
  pairs: readonly SamplePair[],
  quality = 90,
): Promise<{ jpeg: Buffer; plan: GridPlan }> {
  const plan = planGrid(pairs.map((p) => p.input));
  const layers = pairs.flatMap((p, k) => {
    const at = plan.cells[k] as GridPlan["cells"][number];
    return [overlay(p.input, at.input), overlay(p.output, at.output)];
  });
  const jpeg = await sharp({
    create: { width: plan.width, height: plan.height, channels: 3, background: "#ffffff" },
  })
    .composite(layers)
    .jpeg({ quality })
    .toBuffer();
  return { jpeg, plan };
}
