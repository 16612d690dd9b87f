/**
 * Build step: copy what the site serves as plain static files into dist/.
 * - onnxruntime-web's loaders and wasm into /ort/<version>/ (nothing from a CDN);
 * - models/manifest.json and every file it lists into /static/models/<id>/
 *   (the primary model download; the worker's /models/:id/:file is the fallback);
 * - sw.js, the offline shell, with this build's asset list.
 * Workers static assets stop at 25 MiB per file: larger model files are left to
 * the fallback route, and the ORT builds chosen all fit (see ort-engine.ts).
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { copyFile, mkdir, readdir, readFile, stat, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { AstroIntegration } from "astro";
import { parseManifest } from "../../../models/schema.ts";

export const MAX_STATIC_BYTES = 25 * 1024 * 1024;

/** The ORT files the two engines load (ort-engine.ts ENGINES and what they import). */
export const ORT_FILES = [
  "ort.wasm.min.mjs",
  "ort-wasm-simd-threaded.mjs",
  "ort-wasm-simd-threaded.wasm",
  "ort.jspi.min.mjs",
  "ort-wasm-simd-threaded.jspi.mjs",
  "ort-wasm-simd-threaded.jspi.wasm",
] as const;

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));

/** The package's exports hide package.json, so read it from its folder (dist/ holds the files). */
function ortDist(): { dir: string; version: string } {
  const pkg = path.dirname(path.dirname(createRequire(import.meta.url).resolve("onnxruntime-web")));
  const { version } = JSON.parse(readFileSync(path.join(pkg, "package.json"), "utf8")) as {
    version: string;
  };
  return { dir: path.join(pkg, "dist"), version };
}

export function ortBasePath(): string {
  return `/ort/${ortDist().version}/`;
}

async function copyOrt(outDir: string, log: (msg: string) => void): Promise<void> {
  const { dir, version } = ortDist();
  const target = path.join(outDir, "ort", version);
  await mkdir(target, { recursive: true });
  for (const f of ORT_FILES) {
    const size = (await stat(path.join(dir, f))).size;
    if (size > MAX_STATIC_BYTES)
      throw new Error(`${f} is ${size} bytes, over the 25 MiB static asset limit`);
    await copyFile(path.join(dir, f), path.join(target, f));
  }
  log(`copied ${ORT_FILES.length} onnxruntime-web ${version} files to /ort/${version}/`);
}

async function copyModels(outDir: string, log: (msg: string) => void): Promise<void> {
  const src = path.join(ROOT, "models");
  const manifestText = await readFile(path.join(src, "manifest.json"), "utf8");
  const manifest = parseManifest(JSON.parse(manifestText));
  const target = path.join(outDir, "static", "models");
  await mkdir(target, { recursive: true });
  await copyFile(path.join(src, "manifest.json"), path.join(target, "manifest.json"));
  let copied = 0;
  for (const entry of manifest.models) {
    const files = new Map<string, string | undefined>();
    for (const g of entry.generators) for (const v of g.variants) files.set(v.file, v.sha256);
    for (const s of entry.samples) {
      files.set(s.input, undefined);
      files.set(s.output, undefined);
    }
    // The model card's sample pictures, served beside the pairs.
    for (const g of entry.sampleGrids ?? []) files.set(g.file, g.sha256);
    await mkdir(path.join(target, entry.id), { recursive: true });
    for (const [file, sha256] of files) {
      const from = path.join(src, entry.id, file);
      const size = (await stat(from)).size;
      if (size > MAX_STATIC_BYTES) {
        log(`${entry.id}/${file} is over 25 MiB: served by the worker's /models route only`);
        continue;
      }
      if (sha256) {
        const actual = createHash("sha256")
          .update(await readFile(from))
          .digest("hex");
        if (actual !== sha256)
          throw new Error(
            `models/${entry.id}/${file}: sha256 ${actual} does not match the manifest`,
          );
      }
      await copyFile(from, path.join(target, entry.id, file));
      copied++;
    }
  }
  log(`copied manifest and ${copied} model files to /static/models/`);
}

export const SW_TEMPLATE = new URL("../sw/sw.js", import.meta.url);

export interface ServiceWorkerBuild {
  /** Names this build's shell cache. */
  build: string;
  /** Everything under /_astro/, precached. */
  assets: string[];
  /** Names the cache of the /ort/<version>/ files, kept across builds of one version. */
  ortVersion: string;
}

/** sw.js from its template (src/sw/sw.js) for one build. */
export function renderServiceWorker(template: string, b: ServiceWorkerBuild): string {
  return template
    .replace('"__BUILD__"', JSON.stringify(b.build))
    .replace("__ASSETS__", JSON.stringify(b.assets))
    .replace('"__ORT_VERSION__"', JSON.stringify(b.ortVersion));
}

/**
 * The shell cache's name for a build: it changes with the asset list and with
 * the worker's own code, so a fixed worker also starts a new shell and drops
 * whatever an older one kept.
 */
export function shellBuild(template: string, assets: readonly string[]): string {
  return createHash("sha256").update(template).update(assets.join("\n")).digest("hex").slice(0, 12);
}

/** Write dist/sw.js with this build's asset list and cache names. */
async function writeServiceWorker(outDir: string, log: (msg: string) => void): Promise<void> {
  const assets = (await readdir(path.join(outDir, "_astro"))).sort().map((f) => `/_astro/${f}`);
  const template = await readFile(SW_TEMPLATE, "utf8");
  const build = shellBuild(template, assets);
  const { version } = ortDist();
  await writeFile(
    path.join(outDir, "sw.js"),
    renderServiceWorker(template, { build, assets, ortVersion: version }),
  );
  log(`wrote sw.js (shell cache ${build}, ${assets.length} assets; ORT cache ${version})`);
}

export default function staticAssets(): AstroIntegration {
  return {
    name: "unpaired-static-assets",
    hooks: {
      "astro:config:setup": ({ updateConfig }) => {
        updateConfig({ vite: { define: { __ORT_BASE__: JSON.stringify(ortBasePath()) } } });
      },
      "astro:build:done": async ({ dir, logger }) => {
        const outDir = fileURLToPath(dir);
        await copyOrt(outDir, (m) => logger.info(m));
        await copyModels(outDir, (m) => logger.info(m));
        await writeServiceWorker(outDir, (m) => logger.info(m));
      },
    },
  };
}
