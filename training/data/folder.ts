/**
 * Image folders in the reference layout (DATAROOT/trainA, trainB, testA, testB):
 * listing, sorted like the reference's make_dataset, and a header check of
 * every file so unreadable ones are reported by path and left out up front.
 */
import { readdir, stat } from "node:fs/promises";
import path from "node:path";
import sharp from "sharp";

export const IMAGE_EXTENSIONS = [".jpg", ".jpeg", ".png", ".webp"] as const;

export function isImageFile(file: string): boolean {
  return (IMAGE_EXTENSIONS as readonly string[]).includes(path.extname(file).toLowerCase());
}

/** Called once per unreadable file; training goes on without it. */
export type SkipReporter = (file: string, reason: string) => void;

async function walk(dir: string): Promise<string[]> {
  const out: string[] = [];
  const entries = await readdir(dir, { withFileTypes: true });
  for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...(await walk(p)));
    else if (isImageFile(e.name)) out.push(p);
  }
  return out;
}

/** Image files under `dir` (recursively, sorted), or a clear error when there are none. */
export async function listImages(
  dir: string,
  maxCount = Number.POSITIVE_INFINITY,
): Promise<string[]> {
  const info = await stat(dir).catch(() => null);
  if (!info?.isDirectory()) {
    throw new Error(
      `image folder ${dir} does not exist; a dataset needs ${path.basename(dir)}/ with ` +
        `${IMAGE_EXTENSIONS.join(", ")} files (layout: DATAROOT/trainA, trainB, testA, testB)`,
    );
  }
  const files = await walk(dir);
  if (files.length === 0)
    throw new Error(`image folder ${dir} holds no ${IMAGE_EXTENSIONS.join(", ")} files`);
  return files.slice(0, maxCount);
}

/**
 * Why an image did not decode, in words a user can act on: libvips's own
 * messages ("vipspng: libpng read error", "Input file contains unsupported
 * image format") do not say that the file is empty or cut off.
 */
export async function decodeProblem(file: string, e: unknown): Promise<string> {
  const raw = ((e as Error).message ?? String(e)).split("\n")[0] ?? "unreadable";
  const size = (await stat(file).catch(() => null))?.size;
  if (size === 0) return "empty file (0 bytes)";
  if (/unsupported image format/i.test(raw)) return "not a readable JPEG, PNG or WebP file";
  if (
    /read error|premature|truncat|treated as error|corrupt|bad seek|end of (file|data)/i.test(raw)
  )
    return `corrupt or truncated image (${raw})`;
  return raw;
}

/** Drop (and report) files whose header sharp cannot read. Throws if none are left. */
export async function readableImages(
  dir: string,
  files: string[],
  onSkip: SkipReporter,
): Promise<string[]> {
  const ok: string[] = [];
  for (const file of files) {
    try {
      const m = await sharp(file).metadata();
      if (!m.width || !m.height) throw new Error("no image size in the header");
      ok.push(file);
    } catch (e) {
      onSkip(file, await decodeProblem(file, e));
    }
  }
  if (ok.length === 0)
    throw new Error(`image folder ${dir}: none of its ${files.length} files can be read`);
  return ok;
}
