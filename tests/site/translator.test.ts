/** The page's translator against a stand-in worker: model identity, WebGPU fallback memory, cancel. */
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Caps } from "../../site/src/lib/caps.ts";
import type { LoadRequest } from "../../site/src/lib/protocol.ts";
import { type Events, type RunOptions, Translator } from "../../site/src/lib/translator.ts";
import { fakeWorkers, success } from "./fake-worker.ts";

const CAPS: Caps = { webgpu: true, shaderF16: false, fallbackAdapter: false, threads: 1 };
const photo = new Blob(["photo"], { type: "image/png" });
const notes: string[] = [];
const events: Events = {
  onDownload: () => {},
  onStage: () => {},
  onTile: () => {},
  onNote: (text) => notes.push(text),
};
const run = (engine: RunOptions["engine"], signal?: AbortSignal): RunOptions => ({
  engine,
  mode: "fast",
  maxPixels: 12e6,
  workingSize: 64,
  ...(signal ? { signal } : {}),
});
const local = (bytes: number[]) => ({
  kind: "local" as const,
  name: "mine.onnx",
  bytes: Uint8Array.from(bytes).buffer,
});

afterEach(() => {
  vi.unstubAllGlobals();
  notes.length = 0;
});

describe("translator", () => {
  it("loads a second model file of the same name and size instead of reusing the first", async () => {
    const made = fakeWorkers(success);
    const translator = new Translator(CAPS);
    await translator.translate(local([1, 2, 3, 4]), photo, run("wasm"), events);
    await translator.translate(local([5, 6, 7, 8]), photo, run("wasm"), events);
    const loads = made
      .flatMap((w) => w.requests)
      .filter((r): r is LoadRequest => r.type === "load");
    expect(loads.map((l) => Array.from(new Uint8Array(l.model)))).toEqual([
      [1, 2, 3, 4],
      [5, 6, 7, 8],
    ]);
  });

  it("after WebGPU fails, Automatic runs WebAssembly for later photos; a forced WebGPU still tries", async () => {
    const made = fakeWorkers((req, worker) =>
      worker.engine === "webgpu" && req.type === "load"
        ? { type: "error", id: req.id, error: { code: "engine", message: "shader failed" } }
        : success(req, worker),
    );
    const translator = new Translator(CAPS);
    const model = local([1, 2, 3, 4]);
    const first = await translator.translate(model, photo, run("auto"), events);
    expect([first.engine, first.fellBack]).toEqual(["wasm", true]);
    expect(notes).toEqual(["WebGPU failed (shader failed). Switched to WebAssembly."]);

    const second = await translator.translate(model, photo, run("auto"), events);
    expect([second.engine, second.fellBack]).toEqual(["wasm", false]);
    expect(made.map((w) => w.engine)).toEqual(["webgpu", "wasm"]); // no second WebGPU start

    const forced = await translator.translate(model, photo, run("webgpu"), events);
    expect([forced.engine, forced.fellBack]).toEqual(["wasm", true]);
    expect(made.map((w) => w.engine)).toEqual(["webgpu", "wasm", "webgpu", "wasm"]);
  });

  it("falls back to WebAssembly when the WebGPU runtime files do not load (its own files may)", async () => {
    fakeWorkers((req, worker) =>
      worker.engine === "webgpu" && req.type === "load"
        ? {
            type: "error",
            id: req.id,
            error: { code: "runtime", message: "ort.jspi did not load" },
          }
        : success(req, worker),
    );
    const result = await new Translator(CAPS).translate(
      local([1, 2, 3, 4]),
      photo,
      run("auto"),
      events,
    );
    expect([result.engine, result.fellBack]).toEqual(["wasm", true]);
  });

  it("cancelling stops the worker and rejects at once; the next photo starts a fresh one", async () => {
    // The worker loads, then never answers the translation (a long photo).
    const made = fakeWorkers((req, worker) =>
      req.type === "load" ? success(req, worker) : undefined,
    );
    const translator = new Translator(CAPS);
    const controller = new AbortController();
    const pending = translator.translate(local([1]), photo, run("wasm", controller.signal), events);
    await vi.waitFor(() =>
      expect(made[0]?.requests.map((r) => r.type)).toEqual(["load", "translate"]),
    );
    controller.abort();
    await expect(pending).rejects.toMatchObject({ name: "AbortError" });
    expect(made[0]?.terminated).toBe(true);

    fakeWorkers(success);
    const next = await translator.translate(local([1]), photo, run("wasm"), events);
    expect(next.engine).toBe("wasm");
  });
});
