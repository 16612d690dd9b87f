/**
 * Reference .pth checkpoints opened in the page (issue 17), in real Chromium
 * against the real worker. Two pairs of fixtures, each a zip and a legacy
 * file: files real PyTorch saved (tests/fixtures/pth, Debian's python3-torch),
 * and files written in the test by tests/import/torch_save.py (Python's own
 * pickler with torch's globals, the opcodes torch.save emits; a float16
 * storage, old instance-norm statistics). Each pair also goes through
 * `npm run import`, and:
 * - the page's converted variants are the CLI's files byte for byte (same
 *   sha256), and its translations equal onnxruntime-node running the CLI's
 *   files (full resolution with frozen statistics, A->B and B->A) within
 *   1 level of 255 on under 2% of values (tests/browser/site.test.ts's tolerance);
 * - they are kept across a reload and offline, can be renamed and deleted;
 * - a discriminator, a U-Net, another network, a truncated file, a zip bomb
 *   and a non-checkpoint each get their own sentence, and nothing is kept;
 * - a full storage keeps nothing but the model still runs for the visit.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ModelEntry, parseManifest } from "../../models/schema.ts";
import { pickVariant } from "../../models/select.ts";
import { type Browser, launch } from "../../scripts/lib/chromium.ts";
import { openSite, setOptions, translate, upload } from "../../scripts/lib/site-page.ts";
import { testPhoto } from "../../scripts/lib/test-photo.ts";
import { seedOf, tinyModel } from "../../scripts/lib/tiny-models.ts";
import { type RunningWorker, startWorker } from "../../scripts/lib/worker-server.ts";
import { buildGenerator } from "../../training/networks/index.ts";
import { paramShapes } from "../../training/networks/spec.ts";
import { runCli } from "../helpers/cli.ts";
import {
  randomTensors,
  referenceShapes,
  type TensorSpec,
  writeCheckpoint,
} from "../import/checkpoints.ts";
import { zipCheckpoint } from "../import/hostile.ts";
import { decodeRgba, diffRgb, referenceTranslate } from "./reference.ts";

const TOLERANCE = { max: 1, changed: 0.02 };
const CONVERT_MS = 180_000;

let dir = "";
let worker: RunningWorker;
let cli: ModelEntry;
/** `npm run import` of the files real PyTorch saved (tests/fixtures/pth), every dtype. */
let cliTorch: ModelEntry;
const TORCH_FIXTURES = new URL("../fixtures/pth/", import.meta.url);
const fixture: Record<string, Buffer> = {};

const file = (name: string) => ({ name, mimeType: "", buffer: fixture[name] as Buffer });

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), "pth-browser-"));
  // ngf 4 / 6 blocks in the zip format, with a float16 storage; ngf 4 / 9 blocks
  // in the legacy format, with the instance-norm statistics old PyTorch saved.
  const g6 = randomTensors(referenceShapes(4, 6), 21).map(
    (t): TensorSpec => (t.name === "model.7.weight" ? { ...t, dtype: "float16" } : t),
  );
  const g9: TensorSpec[] = [
    ...randomTensors(referenceShapes(4, 9), 22),
    { name: "model.2.running_mean", shape: [4], values: [0, 0, 0, 0] },
    { name: "model.2.running_var", shape: [4], values: [1, 1, 1, 1] },
  ];
  writeCheckpoint(path.join(dir, "g6.pth"), "zip", g6);
  writeCheckpoint(path.join(dir, "g9-legacy.pth"), "legacy", g9);
  const discriminator = [4, 8, 16, 32].flatMap((c, i, all): [string, number[]][] => [
    [`model.${i === 0 ? 0 : 3 * i - 1}.weight`, [c, i === 0 ? 3 : (all[i - 1] as number), 4, 4]],
    [`model.${i === 0 ? 0 : 3 * i - 1}.bias`, [c]],
  ]);
  discriminator.push(["model.11.weight", [1, 32, 4, 4]], ["model.11.bias", [1]]);
  writeCheckpoint(path.join(dir, "latest_net_D_A.pth"), "zip", randomTensors(discriminator, 3));
  const unet = paramShapes(buildGenerator("unet_128", { ngf: 2 })).map((p): [string, number[]] => [
    p.name,
    p.shape,
  ]);
  writeCheckpoint(path.join(dir, "unet.pth"), "zip", randomTensors(unet, 4));
  const classifier: [string, number[]][] = [
    ["conv1.weight", [4, 3, 3, 3]],
    ["fc.weight", [10, 4]],
  ];
  writeCheckpoint(path.join(dir, "resnet50.pth"), "zip", randomTensors(classifier, 5));
  for (const name of ["g6.pth", "g9-legacy.pth", "latest_net_D_A.pth", "unet.pth", "resnet50.pth"])
    fixture[name] = readFileSync(path.join(dir, name));
  const g6Bytes = fixture["g6.pth"] as Buffer;
  fixture["cut.pth"] = g6Bytes.subarray(0, Math.floor(g6Bytes.length * 0.6));
  fixture["bomb.pth"] = Buffer.from(
    zipCheckpoint([{ name: "model.1.weight", size: [64, 64], values: new Array(4096).fill(0) }], 6),
  );
  fixture["notes.pth"] = Buffer.from("just some text, not a checkpoint");

  // The CLI import of the same two files: AtoB from the zip, BtoA from the legacy file.
  const imported = await runCli(
    "training/import/cli.ts",
    [
      path.join(dir, "g6.pth"),
      path.join(dir, "g9-legacy.pth"),
      ...["--id", "cli", "--license", "MIT", "--check-size", "16", "--tfjs-backend", "cpu"],
      // Random weights at 10x the training init: int8 misses its 35 dB (about 24 dB), so the
      // CLI writes fp32 and fp16 and the page leaves int8 out, saying so.
      ...["--dtypes", "fp32,fp16"],
      ...["--models", "out", "--manifest", "out/manifest.json"],
    ],
    dir,
  );
  if (imported.code !== 0) throw new Error(`npm run import failed: ${imported.err}`);
  cli = parseManifest(JSON.parse(readFileSync(path.join(dir, "out/manifest.json"), "utf8")))
    .models[0] as ModelEntry;
  for (const name of ["torch-zip.pth", "torch-legacy.pth"])
    fixture[name] = readFileSync(new URL(name, TORCH_FIXTURES));
  const fromTorch = await runCli(
    "training/import/cli.ts",
    [
      ...["torch-zip.pth", "torch-legacy.pth"].map((f) => new URL(f, TORCH_FIXTURES).pathname),
      ...["--id", "torch", "--license", "MIT", "--check-size", "16", "--tfjs-backend", "cpu"],
      ...["--models", "out", "--manifest", "out/manifest-torch.json"],
    ],
    dir,
  );
  if (fromTorch.code !== 0) throw new Error(`npm run import failed: ${fromTorch.err}`);
  cliTorch = parseManifest(
    JSON.parse(readFileSync(path.join(dir, "out/manifest-torch.json"), "utf8")),
  ).models[0] as ModelEntry;
  worker = await startWorker({ seed: seedOf(tinyModel()) });
}, 240_000);

afterAll(async () => {
  await worker?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const cliFile = (name: string, id = "cli") =>
  new Uint8Array(readFileSync(path.join(dir, "out", id, name)));

/** Run `action` (a pick or a drop of .pth files) and wait until the import ends (done or error). */
async function importing(page: Page, action: () => Promise<void>): Promise<string> {
  const before = Number(await page.locator("#your-models").getAttribute("data-imports"));
  await page.locator("#your-models").evaluate((s) => {
    (s as HTMLElement).dataset.state = "";
  });
  await action();
  await page.waitForFunction(
    (n) => {
      const s = document.getElementById("your-models");
      return (
        s?.dataset.state === "error" ||
        (s?.dataset.state === "done" && Number(s.dataset.imports) > n)
      );
    },
    before,
    { timeout: CONVERT_MS },
  );
  return (await page.locator("#your-models").getAttribute("data-state")) ?? "";
}

/** Open files with the own-model picker. */
function openPth(page: Page, names: string[]): Promise<string> {
  return importing(page, () => page.setInputFiles("#own-model-file", names.map(file)));
}

/** Drop files on `selector` as a visitor's drag and drop does (dragover, then drop). */
async function drop(page: Page, selector: string, names: string[]): Promise<void> {
  const files = names.map((name) => ({ name, b64: (fixture[name] as Buffer).toString("base64") }));
  const dataTransfer = await page.evaluateHandle((fs) => {
    const dt = new DataTransfer();
    for (const f of fs)
      dt.items.add(new File([Uint8Array.from(atob(f.b64), (c) => c.charCodeAt(0))], f.name));
    return dt;
  }, files);
  await page.dispatchEvent(selector, "dragover", { dataTransfer });
  await page.dispatchEvent(selector, "drop", { dataTransfer });
}

/** What "Your models" keeps in this browser: model.json of each. */
function kept(page: Page): Promise<{ id: string; name: string; entry: ModelEntry }[]> {
  return page.evaluate(async () => {
    if (!(await caches.has("unpaired-your-models-v1"))) return [];
    const cache = await caches.open("unpaired-your-models-v1");
    const out = [];
    for (const req of await cache.keys())
      if (req.url.endsWith("/model.json")) out.push(await (await cache.match(req))?.json());
    return out;
  });
}

async function expectLikeCli(
  page: Page,
  action: () => Promise<void>,
  dir: "AtoB" | "BtoA",
  photo: Uint8Array,
  dtype: string,
) {
  const result = await translate(page, action);
  expect(result.dtype).toBe(dtype);
  const expected = await referenceTranslate(cliFile(`${dir}.${dtype}.onnx`), photo, 64);
  const diff = diffRgb(await decodeRgba(result.png), expected);
  expect(diff.max).toBeLessThanOrEqual(TOLERANCE.max);
  expect(diff.changed).toBeLessThan(TOLERANCE.changed);
  return result;
}

describe("a .pth opened in the page", () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launch();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it("converts a zip and a legacy file into both directions: the CLI's files, and its translations", async () => {
    const { page } = browser;
    await openSite(page, `${worker.url}/`);
    await page.evaluate(() => {
      const seen: string[] = [];
      (window as unknown as { seen: string[] }).seen = seen;
      const stage = document.getElementById("pth-stage") as HTMLElement;
      new MutationObserver(() => seen.push(stage.textContent ?? "")).observe(stage, {
        childList: true,
        characterData: true,
        subtree: true,
      });
    });
    expect(await openPth(page, ["g6.pth", "g9-legacy.pth"])).toBe("done");
    // After the model is chosen: choosing one sets its recommended working size (512).
    await setOptions(page, { engine: "wasm", mode: "full", workingSize: 64 });
    expect(await page.locator("#messages").textContent()).toMatch(
      /int8 left out: [\d.]+ dB on the probe, under 35 dB/,
    );
    const seen = await page.evaluate(() => (window as unknown as { seen: string[] }).seen);
    for (const stage of [/^Reading g6\.pth/, /^Converting g6\.pth/, /^Checking g9-legacy\.pth/])
      expect(seen.some((t) => stage.test(t))).toBe(true);
    const arch = await page.locator("#pth-arch").textContent();
    expect(arch).toMatch(
      /g6\.pth: resnet_6blocks, ngf 4, 6 blocks, instance norm, 0\.\d+ M parameters/,
    );
    expect(arch).toMatch(/g9-legacy\.pth: resnet_9blocks, ngf 4, 9 blocks, instance norm/);
    expect(await page.locator("#your-models-status").textContent()).toMatch(
      /converted in .* checked on a fixed probe against the float32 reference \(AtoB fp32 max abs/,
    );

    // Byte for byte what npm run import wrote: the same importer and writer.
    const [model] = await kept(page);
    expect(model?.name).toBe("g6 + g9-legacy");
    const shas = (e: ModelEntry) =>
      e.generators.flatMap((g) => g.variants.map((v) => `${v.file} ${v.sha256}`)).sort();
    expect(shas(model?.entry as ModelEntry)).toEqual(shas(cli));
    // Described like a shipped model, so models/select.ts picks as it does for one.
    const g = model?.entry.generators[0] as ModelEntry["generators"][number];
    expect(pickVariant(g, { provider: "webgpu", shaderF16: true })?.dtype).toBe("fp16");
    expect(pickVariant(g, { provider: "webgpu" })?.dtype).toBe("fp32");
    expect(pickVariant(g, { provider: "wasm" })?.dtype).toBe("fp32"); // int8 was left out
    expect(model?.entry.provenance).toMatchObject({
      kind: "imported",
      sha256: cli.provenance.kind === "imported" ? cli.provenance.sha256 : "",
    });

    // Both directions, at full resolution (statistics pass, then tiles), like onnxruntime-node.
    const photo = await testPhoto(150, 100);
    const a = await expectLikeCli(
      page,
      upload(page, "#photo-file", "p.png", "image/png", photo),
      "AtoB",
      photo,
      "fp32",
    );
    expect(a.tiles).toBeGreaterThan(1);
    expect(a.statsMs).toBeGreaterThan(0);
    expect(a.note).toMatch(/^WebAssembly fp32 with \d+ threads?: 150×100 in \d+ tiles/);
    await page.check("input[name=direction][value=BtoA]");
    await setOptions(page, { workingSize: 64 }); // a direction sets its recommended size again
    await expectLikeCli(page, () => page.click("#translate"), "BtoA", photo, "fp32");
    expect(await page.locator("#download-png").getAttribute("download")).toBe(
      `${model?.id}-BtoA.png`,
    );
    expect(await page.locator("#share").isDisabled()).toBe(true);
    expect(await page.locator("#share-why").textContent()).toMatch(
      /Share is off for a model opened from this device/,
    );
    expect(browser.problems).toEqual([]);
  }, 300_000);

  it("keeps it across a reload and offline; renames and deletes it", async () => {
    const { page, context } = browser;
    await page.evaluate(
      () =>
        navigator.serviceWorker.controller ??
        new Promise((r) => navigator.serviceWorker.addEventListener("controllerchange", r)),
    );
    // Once more under the offline shell's control, so it has the engine's files.
    await translate(page, () => page.click("#translate"));
    await context.setOffline(true);
    try {
      await openSite(page, `${worker.url}/`);
      const item = page.locator("#your-models-list li");
      await expect.poll(() => item.count()).toBe(1);
      expect(await item.locator(".your-model-meta").textContent()).toMatch(
        /resnet_6blocks, ngf 4, .* A→B and B→A; from g6\.pth \(.*, sha256 [0-9a-f]{12}…\) \+ g9-legacy\.pth .* on this device; converted /,
      );
      await item.locator("input[type=radio]").check();
      await setOptions(page, { engine: "wasm", mode: "full", workingSize: 64 });
      const photo = await testPhoto(70, 52);
      const result = await translate(
        page,
        upload(page, "#photo-file", "q.png", "image/png", photo),
      );
      const expected = await referenceTranslate(cliFile("AtoB.fp32.onnx"), photo, 64);
      const shown = await decodeRgba(result.png);
      expect(diffRgb(shown, expected).max).toBeLessThanOrEqual(TOLERANCE.max);
    } finally {
      await context.setOffline(false);
    }

    const item = page.locator("#your-models-list li");
    await item.locator("[data-action=rename]").click();
    await item.locator("form input").fill("Horses to zebras");
    await item.locator("form button[type=submit]").click();
    await openSite(page, `${worker.url}/`);
    await expect
      .poll(() => page.locator(".your-model-name").textContent())
      .toBe("Horses to zebras");
    expect((await kept(page))[0]?.name).toBe("Horses to zebras");

    await page.locator("#your-models-list li [data-action=delete]").click();
    await expect.poll(() => page.locator("#your-models-list li").count()).toBe(0);
    expect(await kept(page)).toEqual([]);
    await openSite(page, `${worker.url}/`);
    expect(await page.locator("#your-models").isHidden()).toBe(true);
  }, 240_000);

  it("converts files real PyTorch saved (zip and legacy) to the CLI's files, translating like them", async () => {
    const { page } = browser;
    await openSite(page, `${worker.url}/`);
    expect(await openPth(page, ["torch-zip.pth", "torch-legacy.pth"])).toBe("done");
    expect(await page.locator("#pth-arch").textContent()).toMatch(
      /torch-zip\.pth: resnet_6blocks, ngf 4, 6 blocks, instance norm[\s\S]*torch-legacy\.pth: resnet_9blocks/,
    );
    const [model] = await kept(page);
    const variants = (e: ModelEntry) =>
      new Map(e.generators.flatMap((g) => g.variants.map((v) => [v.file, v.sha256])));
    const ours = variants(model?.entry as ModelEntry);
    const theirs = variants(cliTorch);
    // Every file the page kept is the CLI's, byte for byte (an int8 under 35 dB on the
    // page's probe may be left out; the CLI passed it on its own check images).
    for (const [file, sha] of ours) expect([file, theirs.get(file)]).toEqual([file, sha]);
    for (const file of ["AtoB.fp32.onnx", "AtoB.fp16.onnx", "BtoA.fp32.onnx", "BtoA.fp16.onnx"])
      expect(ours.has(file)).toBe(true);
    await setOptions(page, { engine: "wasm", mode: "full", workingSize: 64 });
    const photo = await testPhoto(90, 60);
    for (const dir of ["AtoB", "BtoA"] as const) {
      if (dir === "BtoA") {
        await page.check("input[name=direction][value=BtoA]");
        await setOptions(page, { workingSize: 64 });
      }
      const dtype = ours.has(`${dir}.int8.onnx`) ? "int8" : "fp32"; // models/select.ts on wasm
      const result = await translate(
        page,
        dir === "AtoB"
          ? upload(page, "#photo-file", "p.png", "image/png", photo)
          : () => page.click("#translate"),
      );
      expect(result.dtype).toBe(dtype);
      const expected = await referenceTranslate(
        cliFile(`${dir}.${dtype}.onnx`, "torch"),
        photo,
        64,
      );
      const diff = diffRgb(await decodeRgba(result.png), expected);
      expect(diff.max).toBeLessThanOrEqual(TOLERANCE.max);
      expect(diff.changed).toBeLessThan(TOLERANCE.changed);
    }
    await page.locator("#your-models-list li [data-action=delete]").click();
    await expect.poll(() => kept(page)).toEqual([]);
  }, 300_000);

  it("says what a file is when it is not a generator it can convert, and keeps nothing", async () => {
    const { page } = browser;
    await openSite(page, `${worker.url}/`);
    const cases: [string, RegExp][] = [
      [
        "latest_net_D_A.pth",
        /latest_net_D_A\.pth is not a ResNet CycleGAN generator: it is a PatchGAN discriminator \(ndf 4, 3 layers, 3 input channels\)/,
      ],
      [
        "unet.pth",
        /unet\.pth is not a ResNet CycleGAN generator: it is a U-Net generator \(unet_128, ngf 2\)/,
      ],
      [
        "resnet50.pth",
        /resnet50\.pth is not a ResNet CycleGAN generator: it is a state dict of another network/,
      ],
      ["cut.pth", /This file cannot be read: cut\.pth: .*(truncated|zip container)/],
      [
        "bomb.pth",
        /This file cannot be read: bomb\.pth: not a readable PyTorch file: zip entry .* is compressed/,
      ],
      [
        "notes.pth",
        /notes\.pth is not a PyTorch checkpoint .*\. Open a generator saved with torch\.save/,
      ],
    ];
    for (const [name, message] of cases) {
      expect(await openPth(page, [name])).toBe("error");
      expect(await page.locator("#messages .error").textContent()).toMatch(message);
    }
    expect(await kept(page)).toEqual([]);
  }, 240_000);
});

describe("a .pth on WebGPU", () => {
  it("runs the variant a shipped model would: fp32 on an adapter without shader-f16", async () => {
    const browser = await launch({ webgpu: true });
    try {
      const { page } = browser;
      await openSite(page, `${worker.url}/`);
      expect(await openPth(page, ["g6.pth"])).toBe("done");
      await setOptions(page, { engine: "webgpu", mode: "full", workingSize: 64 });
      const photo = await testPhoto(64, 48);
      const result = await translate(
        page,
        upload(page, "#photo-file", "p.png", "image/png", photo),
        { timeoutMs: 180_000 },
      );
      // SwiftShader has no shader-f16, so models/select.ts gives fp32 (fp16 needs the feature).
      expect([result.engine, result.dtype, result.fellBack]).toEqual(["webgpu", "fp32", false]);
      expect(result.note).toMatch(/^WebGPU fp32: 64×48/);
      const expected = await referenceTranslate(cliFile("AtoB.fp32.onnx"), photo, 64);
      const diff = diffRgb(await decodeRgba(result.png), expected);
      expect(diff.max).toBeLessThanOrEqual(TOLERANCE.max);
      expect(diff.changed).toBeLessThan(TOLERANCE.changed);
    } finally {
      await browser.close();
    }
  }, 300_000);
});

describe("a .pth dropped on the page", () => {
  it("is taken on the own-model zone, and on the photo zone too", async () => {
    const browser = await launch();
    try {
      const { page } = browser;
      await openSite(page, `${worker.url}/`);
      for (const zone of ["#own-model-drop", "#drop"]) {
        expect(await importing(page, () => drop(page, zone, ["g6.pth"]))).toBe("done");
        expect(await page.locator("#messages .error").count()).toBe(0);
        expect((await kept(page)).map((m) => m.name)).toEqual(["g6"]);
        await page.locator("#your-models-list li [data-action=delete]").click();
        await expect.poll(() => kept(page)).toEqual([]);
      }
      expect(browser.problems).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 240_000);
});

describe("a .pth when storage is full", () => {
  it("runs for the visit, says it is not kept, and is gone after a reload", async () => {
    const browser = await launch({ serviceWorkers: "block" });
    try {
      const { page, context } = browser;
      const cdp = await context.newCDPSession(page);
      await cdp.send("Storage.overrideQuotaForOrigin", { origin: worker.url, quotaSize: 100_000 });
      await openSite(page, `${worker.url}/`);
      expect(await openPth(page, ["g6.pth"])).toBe("done");
      await setOptions(page, { engine: "wasm", mode: "full", workingSize: 64 });
      expect(await page.locator("#messages").textContent()).toMatch(
        /Storage is full: “g6” is not kept \((it needs [\d.]+ MB and this site may use [\d.]+ MB more of this device's storage|the browser refused to store [\d.]+ MB \(Quota exceeded\.\))\)\. It works for this visit\./,
      );
      expect(await page.locator("#your-models-list li .your-model-meta").textContent()).toMatch(
        /this visit only \(not stored\)/,
      );
      const photo = await testPhoto(40, 40);
      const result = await translate(
        page,
        upload(page, "#photo-file", "p.png", "image/png", photo),
      );
      const expected = await referenceTranslate(cliFile("AtoB.fp32.onnx"), photo, 64);
      expect(diffRgb(await decodeRgba(result.png), expected).max).toBeLessThanOrEqual(
        TOLERANCE.max,
      );
      await openSite(page, `${worker.url}/`);
      expect(await kept(page)).toEqual([]);
      expect(await page.locator("#your-models").isHidden()).toBe(true);
    } finally {
      await browser.close();
    }
  }, 240_000);
});
