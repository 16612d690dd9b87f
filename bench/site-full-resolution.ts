/**
 * bench:site's full-resolution measure: a real photo (scikit-image's coffee)
 * enlarged to 2, 12 and 24 MP and saved as a JPEG, as a phone would, through
 * the site in Chromium on WebAssembly with the first shipped photo model:
 * the page's own time for the run (decode, statistics pass, tiles, encode),
 * the statistics pass alone, and the peak memory of Chromium's whole process
 * tree (proportional set size, sampled every 200 ms) while it runs.
 */
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import sharp from "sharp";
import { launch } from "../scripts/lib/chromium.ts";
import { openSite, pickModel, setOptions, translate, upload } from "../scripts/lib/site-page.ts";
import { referencePhotos } from "../training/datasets/reference-photos.ts";
import type { Row } from "./report.ts";
import type { BenchModel } from "./site-models.ts";
import type { Section, Settings } from "./site-settings.ts";
import { step } from "./site-settings.ts";

/** The "Largest result" option that keeps a 24 MP photo whole (site/src/components/Options.astro). */
const CAP_24MP = 24_100_000;

async function pssKb(pid: number): Promise<number> {
  const text = await readFile(`/proc/${pid}/smaps_rollup`, "utf8").catch(() => "");
  return Number(/^Pss:\s+(\d+) kB/m.exec(text)?.[1] ?? 0);
}

/** Every process whose command line names `marker` (the profile folder), plus their descendants. */
async function treePss(marker: string): Promise<number> {
  const pids = (await readdir("/proc")).filter((d) => /^\d+$/.test(d)).map(Number);
  const parent = new Map<number, number>();
  const roots = new Set<number>();
  await Promise.all(
    pids.map(async (pid) => {
      const [stat, cmd] = await Promise.all([
        readFile(`/proc/${pid}/stat`, "utf8").catch(() => ""),
        readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => ""),
      ]);
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      parent.set(pid, ppid);
      if (cmd.includes(marker)) roots.add(pid);
    }),
  );
  const inTree = (pid: number): boolean => {
    for (let p: number | undefined = pid, hops = 0; p && hops < 64; p = parent.get(p), hops++) {
      if (roots.has(p)) return true;
    }
    return false;
  };
  const sizes = await Promise.all(pids.filter(inTree).map(pssKb));
  return sizes.reduce((a, b) => a + b, 0) / 1024;
}

/** Samples `measure` every 200 ms until stopped; returns the largest value seen. */
function sampler(measure: () => Promise<number>): { stop(): Promise<number> } {
  let peak = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      peak = Math.max(peak, await measure());
      await new Promise((r) => setTimeout(r, 200));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return peak;
    },
  };
}

async function photoAt(file: string, megapixels: number): Promise<Buffer> {
  const meta = await sharp(file).metadata();
  const scale = Math.sqrt((megapixels * 1e6) / ((meta.width ?? 1) * (meta.height ?? 1)));
  return sharp(file)
    .resize(Math.round((meta.width ?? 1) * scale), Math.round((meta.height ?? 1) * scale))
    .jpeg({ quality: 90 })
    .toBuffer();
}

export async function measureFullResolution(
  url: string,
  models: BenchModel[],
  s: Settings,
  megapixels: number[],
): Promise<Section> {
  const model = models.find((m) => m.label.startsWith("photo2oil"));
  const section: Section = { rows: [], samples: [], notes: [] };
  if (!model || megapixels.length === 0) return section;
  const photo = (await referencePhotos()).find((f) => f.endsWith("coffee.png")) as string;
  const profile = await mkdtemp(path.join(os.tmpdir(), "unpaired-bench-full-"));
  const browser = await launch({ userDataDir: profile });
  try {
    const { page } = browser;
    await openSite(page, `${url}/?model=${model.id}&dir=${model.direction}`);
    await pickModel(page, model.id);
    await setOptions(page, { engine: "wasm", mode: "full", maxPixels: CAP_24MP });
    for (const mp of megapixels) {
      step(`full resolution, ${mp} MP`);
      const jpeg = await photoAt(photo, mp);
      const memory = sampler(() => treePss(profile));
      const t0 = performance.now();
      let row: Row;
      try {
        const r = await translate(
          page,
          upload(page, "#photo-file", `${mp}mp.jpg`, "image/jpeg", jpeg),
          {
            timeoutMs: s.limitS * 1000,
            readPng: false,
          },
        );
        const wallMs = performance.now() - t0;
        const size = /: (\d+×\d+) /.exec(r.note)?.[1] ?? "?";
        row = {
          measure: "full resolution",
          model: `${model.label} ${r.dtype}`,
          MP: mp,
          size,
          engine: r.note.split(":")[0] ?? "",
          tiles: r.tiles,
          "stats pass ms": r.statsMs,
          "page s": r.ms / 1000,
          "wall s": wallMs / 1000,
          "peak MB": await memory.stop(),
        };
      } catch (err) {
        await memory.stop();
        row = {
          measure: "full resolution",
          model: model.label,
          MP: mp,
          "page s": String((err as Error).message).split("\n")[0] ?? "failed",
        };
      }
      section.rows.push(row);
      section.samples.push({ ...row });
    }
  } finally {
    await browser.close();
    await rm(profile, { recursive: true, force: true });
  }
  section.notes.push(
    "full resolution: the reference photo coffee (600x400) enlarged to the row's megapixels as a JPEG (q 90), Largest result set to 24 MP; page s: the page's own timing (decode, statistics pass, tiles on frozen statistics, PNG encode), wall s: from upload to the result shown; peak MB: Chromium's whole process tree (browser, renderer, GPU and utility processes), proportional set size sampled every 200 ms.",
  );
  return section;
}
