/**
 * Regenerates docs/screenshot.png (the README's picture): the real site served
 * by the real worker with the shipped models, a held-out test image of the
 * first shipped model translated in headless Chromium.
 *   node scripts/readme-screenshot.ts [MODEL_ID] [IMAGE]
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { parseManifest } from "../models/schema.ts";
import { launch } from "./lib/chromium.ts";
import { openSite, pickModel, translate, upload } from "./lib/site-page.ts";
import { startWorker } from "./lib/worker-server.ts";

const root = path.resolve(import.meta.dirname, "..");
const manifest = parseManifest(
  JSON.parse(readFileSync(path.join(root, "models/manifest.json"), "utf8")),
);
const id = process.argv[2] ?? manifest.models[0]?.id;
if (!id) throw new Error("no shipped model to show: models/manifest.json is empty");
const image = process.argv[3] ?? path.join(root, "models", id, "sample-AtoB-1.in.jpg");

const server = await startWorker({ seed: "shipped" });
const browser = await launch({ viewport: { width: 1200, height: 860 } });
try {
  await openSite(browser.page, server.url);
  await pickModel(browser.page, id);
  await translate(
    browser.page,
    upload(browser.page, "#photo-file", path.basename(image), "image/jpeg", readFileSync(image)),
  );
  await browser.page.evaluate(() => window.scrollTo(0, 0));
  const out = path.join(root, "docs/screenshot.png");
  await browser.page.screenshot({ path: out });
  console.log(`wrote ${path.relative(process.cwd(), out)}`);
} finally {
  await browser.close();
  await server.stop();
}
