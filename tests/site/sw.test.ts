/**
 * The offline shell (site/src/sw/sw.js, rendered as the build renders it) run
 * in a Node VM against an in-memory Cache API: what install, activate and
 * fetch keep, and that an update never pulls caches from under an open page.
 */
import { readFile } from "node:fs/promises";
import vm from "node:vm";
import { beforeEach, describe, expect, it, vi } from "vitest";
import {
  renderServiceWorker,
  SW_TEMPLATE,
  shellBuild,
} from "../../site/src/integrations/static-assets.ts";
import { FakeCacheStorage, href, ORIGIN } from "./fake-caches.ts";

const ASSETS = ["/_astro/page.abc.js", "/_astro/translator.def.js"];

interface Shell {
  caches: FakeCacheStorage;
  self: { skipWaiting: () => void; clients: { claim: () => Promise<void> } };
  /** Dispatch an event; resolves (or rejects) with everything it waited on. */
  dispatch(type: "install" | "activate"): Promise<unknown>;
  /** What a fetch event answered, or undefined when the worker left it to the network. */
  fetch(path: string, mode?: string): Promise<Response | undefined>;
}

let network: (url: string) => Promise<Response>;
const viaNetwork = ((req: Parameters<typeof href>[0]) => network(href(req))) as typeof fetch;

async function start(build: string, caches = new FakeCacheStorage(viaNetwork)): Promise<Shell> {
  const handlers = new Map<string, (event: object) => void>();
  const self = {
    location: { origin: ORIGIN },
    skipWaiting: vi.fn(),
    clients: { claim: vi.fn(async () => {}) },
    addEventListener: (type: string, fn: (event: object) => void) => handlers.set(type, fn),
  };
  const source = renderServiceWorker(await readFile(SW_TEMPLATE, "utf8"), {
    build,
    assets: ASSETS,
    ortVersion: "1.30.0",
  });
  vm.runInNewContext(source, { self, caches, fetch: viaNetwork, URL });
  return {
    caches,
    self,
    dispatch(type) {
      const waits: Promise<unknown>[] = [];
      handlers.get(type)?.({ waitUntil: (p: Promise<unknown>) => waits.push(p) });
      return Promise.all(waits);
    },
    async fetch(path, mode = "cors") {
      let answer: Promise<Response> | undefined;
      const request = { url: `${ORIGIN}${path}`, method: "GET", mode };
      handlers.get("fetch")?.({ request, respondWith: (p: Promise<Response>) => (answer = p) });
      return answer;
    },
  };
}

describe("offline shell", () => {
  beforeEach(() => {
    network = async () => new Response("online");
  });

  it("precaches pages, scripts and styles, and waits for open pages instead of skipping ahead", async () => {
    const shell = await start("b1");
    await shell.dispatch("install");
    const cached = (await shell.caches.open("unpaired-shell-b1")).paths();
    expect(cached.sort()).toEqual(["/", "/favicon.svg", "/share", ...ASSETS].sort());
    expect(shell.self.skipWaiting).not.toHaveBeenCalled();
  });

  it("fails the install when the precache fails, rather than activating an empty shell", async () => {
    network = async (url) =>
      url.endsWith("translator.def.js") ? new Response("gone", { status: 404 }) : new Response("x");
    const shell = await start("b1");
    await expect(shell.dispatch("install")).rejects.toThrow(/translator\.def\.js/);
  });

  it("keeps the ORT files of its version across builds and drops older shells and versions", async () => {
    const first = await start("b1");
    await first.dispatch("install");
    await first.dispatch("activate");
    await first.fetch("/ort/1.30.0/ort-wasm-simd-threaded.wasm");
    const old = await first.caches.open("unpaired-ort-1.29.0");
    await old.put("/ort/1.29.0/ort-wasm-simd-threaded.wasm", new Response("old"));
    await (await first.caches.open("unpaired-models-v1")).put(
      "/static/models/x",
      new Response("m"),
    );

    // The next deploy, same ORT version.
    const next = await start("b2", first.caches);
    await next.dispatch("install");
    await next.dispatch("activate");
    expect((await next.caches.keys()).sort()).toEqual([
      "unpaired-models-v1",
      "unpaired-ort-1.30.0",
      "unpaired-shell-b2",
    ]);
    // Offline, the new build still has the runtime the first one fetched.
    network = () => Promise.reject(new TypeError("offline"));
    const wasm = await next.fetch("/ort/1.30.0/ort-wasm-simd-threaded.wasm");
    expect(await wasm?.text()).toBe("online");
  });

  it("serves pages and assets from the shell offline, and leaves API calls to the network", async () => {
    const shell = await start("b1");
    await shell.dispatch("install");
    await shell.dispatch("activate");
    network = () => Promise.reject(new TypeError("offline"));
    expect(await (await shell.fetch("/?model=tiny", "navigate"))?.text()).toBe("online");
    expect(await (await shell.fetch("/_astro/page.abc.js"))?.text()).toBe("online");
    expect(await shell.fetch("/api/v1/models")).toBeUndefined();
    expect((await shell.caches.open("unpaired-shell-b1")).paths()).not.toContain(
      "/ort/1.30.0/ort-wasm-simd-threaded.wasm",
    );
  });

  it("answers navigations to its pages only: others' shared images and model files are never kept", async () => {
    const shell = await start("b1");
    await shell.dispatch("install");
    await shell.dispatch("activate");
    const precached = (await shell.caches.open("unpaired-shell-b1")).paths().sort();
    for (const path of [
      "/s/abc123",
      "/api/v1/shares/abc123/input",
      "/models/tiny/AtoB.int8.onnx",
      "/static/models/tiny/AtoB.int8.onnx",
      "/ort/1.30.0/ort-wasm-simd-threaded.wasm",
      "/_astro/page.abc.js",
      "/favicon.svg",
    ]) {
      expect(await shell.fetch(path, "navigate"), path).toBeUndefined();
    }
    expect((await shell.caches.open("unpaired-shell-b1")).paths().sort()).toEqual(precached);
    expect(await shell.caches.keys()).toEqual(["unpaired-shell-b1"]);
    // The shell pages still work offline, with or without a query.
    network = () => Promise.reject(new TypeError("offline"));
    expect(await (await shell.fetch("/share?id=abc123", "navigate"))?.text()).toBe("online");
    expect(await (await shell.fetch("/", "navigate"))?.text()).toBe("online");
  });

  it("keeps the style cards' sample thumbnails for offline visits, and no model file", async () => {
    const shell = await start("b1");
    await shell.dispatch("install");
    await shell.dispatch("activate");
    const sample = "/static/models/tiny/sample-AtoB-1.in.jpg";
    expect(await (await shell.fetch(sample))?.text()).toBe("online");
    expect(await shell.fetch("/static/models/tiny/AtoB.int8.onnx")).toBeUndefined();
    expect(await shell.fetch(sample, "navigate")).toBeUndefined(); // opened in a tab: left alone
    network = () => Promise.reject(new TypeError("offline"));
    expect(await (await shell.fetch(sample))?.text()).toBe("online");
  });

  it("names a new shell when only the worker's code changes, so an older shell's entries go", () => {
    expect(shellBuild("worker v1", ASSETS)).not.toBe(shellBuild("worker v2", ASSETS));
    expect(shellBuild("worker v1", ASSETS)).not.toBe(shellBuild("worker v1", ASSETS.slice(1)));
    expect(shellBuild("worker v1", ASSETS)).toBe(shellBuild("worker v1", [...ASSETS]));
  });
});
