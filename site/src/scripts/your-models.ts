/**
 * "Your models": open .pth files (picker or drop), convert them in the import
 * worker with progress and the architecture found, keep them on this device
 * (lib/pth-store.ts), and list them to use, rename, download or delete.
 * Loaded by the translate page only when a .pth arrives or models are kept
 * here, so the first view does not pay for it.
 */
import type { ModelEntry } from "../../../models/schema.ts";
import { byId } from "../lib/dom.ts";
import { formatBytes, formatMs } from "../lib/format.ts";
import { convertPth, describeImportError, ImportError } from "../lib/pth-client.ts";
import type { Detected } from "../lib/pth-protocol.ts";
import {
  deleteModel,
  listModels,
  readModelFile,
  renameModel,
  StorageFullError,
  saveModel,
  type YourModel,
} from "../lib/pth-store.ts";

export interface PageHooks {
  /** Make this the model the next translation uses (both directions where it has two). */
  select(entry: ModelEntry, read: (file: string) => Promise<ArrayBuffer>): void;
  /** The model with this id is gone: stop using it. */
  forget(id: string): void;
  say(kind: "error" | "note", text: string): void;
}

export interface YourModels {
  /** One .pth (AtoB) or two (AtoB, BtoA), as `npm run import` takes them. */
  importFiles(files: File[]): Promise<void>;
}

const ui = () => ({
  section: byId("your-models"),
  list: byId("your-models-list"),
  status: byId("your-models-status"),
  template: byId<HTMLTemplateElement>("your-model-item"),
  progress: byId("pth-progress"),
  stage: byId("pth-stage"),
  arch: byId("pth-arch"),
  cancel: byId<HTMLButtonElement>("pth-cancel"),
});

export function architectureText(d: Detected): string {
  const params = (d.params / 1e6).toFixed(d.params < 1e7 ? 2 : 1);
  return `${d.file}: ${d.netG}, ngf ${d.ngf}, ${d.blocks} blocks, ${d.norm} norm, ${params} M parameters, ${formatBytes(d.bytes)}`;
}

function describe(m: YourModel, kept: boolean): string {
  const g = m.entry.generators[0];
  const arch = g
    ? `${g.architecture.netG}, ngf ${g.architecture.ngf}, ${(g.architecture.params / 1e6).toFixed(1)} M parameters`
    : "";
  const dirs = m.entry.generators.length > 1 ? "A→B and B→A" : "A→B";
  const sources = m.sources
    .map((s) => `${s.file} (${formatBytes(s.bytes)}, sha256 ${s.sha256.slice(0, 12)}…)`)
    .join(" + ");
  const where = kept ? `${formatBytes(m.stored)} on this device` : "this visit only (not stored)";
  return `${arch}; ${dirs}; from ${sources}; ${where}; converted ${new Date(m.date).toLocaleString()}`;
}

/** The name a model gets: the file name without .pth, or both joined. */
function defaultName(files: File[]): string {
  return files.map((f) => f.name.replace(/\.(pth|pt)$/i, "")).join(" + ");
}

export async function wireYourModels(hooks: PageHooks): Promise<YourModels> {
  const el = ui();
  /** Converted this visit but not stored (storage full): usable until the page closes. */
  const transient = new Map<string, { model: YourModel; files: Record<string, ArrayBuffer> }>();
  let running: AbortController | undefined;
  let selected: string | undefined;

  const readerFor = (m: YourModel) => {
    const held = transient.get(m.id);
    return held
      ? async (file: string) => {
          const b = held.files[file];
          if (!b) throw new Error(`${file} is not part of “${m.name}”`);
          return b;
        }
      : (file: string) => readModelFile(m, file);
  };

  const use = (m: YourModel) => {
    selected = m.id;
    hooks.select(m.entry, readerFor(m));
  };

  async function render(): Promise<void> {
    const kept = await listModels().catch(() => [] as YourModel[]);
    const all = [...[...transient.values()].map((t) => t.model), ...kept];
    el.list.replaceChildren(...all.map((m) => item(m, !transient.has(m.id))));
    el.section.hidden = all.length === 0 && el.progress.hidden;
    el.section.dataset.count = String(all.length);
  }

  function item(m: YourModel, kept: boolean): HTMLElement {
    const li = (el.template.content.firstElementChild as HTMLElement).cloneNode(
      true,
    ) as HTMLElement;
    li.dataset.id = m.id;
    const radio = li.querySelector("input[type=radio]") as HTMLInputElement;
    radio.value = m.id;
    radio.checked = selected === m.id;
    radio.addEventListener("change", () => radio.checked && use(m));
    (li.querySelector(".your-model-name") as HTMLElement).textContent = m.name;
    (li.querySelector(".your-model-meta") as HTMLElement).textContent = describe(m, kept);
    const q = (action: string) => li.querySelector(`[data-action=${action}]`) as HTMLElement;
    const form = q("rename-form") as HTMLFormElement;
    const input = form.querySelector("input") as HTMLInputElement;
    q("rename").addEventListener("click", () => {
      form.hidden = false;
      input.value = m.name;
      input.focus();
      input.select();
    });
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      const name = input.value.trim();
      if (!name) return;
      try {
        const held = transient.get(m.id);
        if (held) held.model = { ...held.model, name, entry: { ...held.model.entry, title: name } };
        else await renameModel(m.id, name);
        await render();
      } catch (err) {
        hooks.say("error", `Could not rename: ${(err as Error).message}`);
      }
    });
    q("download").addEventListener("click", async () => {
      try {
        for (const g of m.entry.generators) {
          const fp32 = g.variants.find((v) => v.dtype === "fp32") ?? g.variants[0];
          if (!fp32) continue;
          const url = URL.createObjectURL(new Blob([await readerFor(m)(fp32.file)]));
          const a = document.createElement("a");
          a.href = url;
          a.download = `${m.name.replace(/[^\w.-]+/g, "_")}-${fp32.file}`;
          a.click();
          setTimeout(() => URL.revokeObjectURL(url), 60_000);
        }
      } catch (err) {
        hooks.say("error", `Could not download: ${(err as Error).message}`);
      }
    });
    q("delete").addEventListener("click", async () => {
      try {
        transient.delete(m.id);
        await deleteModel(m.id);
      } catch (err) {
        hooks.say("error", `Could not delete: ${(err as Error).message}`);
      }
      if (selected === m.id) {
        selected = undefined;
        hooks.forget(m.id);
      }
      el.status.textContent = `Deleted “${m.name}” from this device.`;
      await render();
    });
    return li;
  }

  el.cancel.addEventListener("click", () => running?.abort());
  // A style card picked: its radio shares the name "model", so ours unchecks; forget it too.
  byId("models").addEventListener("change", () => {
    selected = undefined;
  });

  async function importFiles(files: File[]): Promise<void> {
    if (running) {
      hooks.say("error", "A conversion is running: wait for it or press Cancel.");
      return;
    }
    if (files.length > 2) {
      hooks.say(
        "error",
        `Open one .pth file, or two (the A→B and the B→A generator); ${files.length} were given.`,
      );
      return;
    }
    const ctrl = new AbortController();
    running = ctrl;
    let outcome: "done" | "error" = "error";
    el.section.hidden = false;
    el.progress.hidden = false;
    el.status.textContent = "";
    el.arch.replaceChildren();
    el.stage.textContent = "Reading…";
    el.section.dataset.state = "running";
    try {
      const converted = await convertPth(
        files,
        {
          onStage: (_stage, text) => {
            el.stage.textContent = `${text}…`;
          },
          onDetected: (d) => {
            const p = document.createElement("p");
            p.textContent = architectureText(d);
            el.arch.append(p);
          },
        },
        ctrl.signal,
      );
      const gens = converted.generators;
      const first = gens[0]?.detected;
      if (!first) throw new Error("nothing was converted");
      const id = `local-${gens.map((g) => g.detected.sha256.slice(0, 10)).join("-")}`;
      const date = new Date().toISOString();
      const sources = gens.map((g) => ({
        file: g.detected.file,
        bytes: g.detected.bytes,
        sha256: g.detected.sha256,
      }));
      const files2: Record<string, ArrayBuffer> = Object.assign({}, ...gens.map((g) => g.files));
      const name = defaultName(files);
      const entry: ModelEntry = {
        id,
        title: name,
        description: "",
        domains: { A: { name: "A", description: "" }, B: { name: "B", description: "" } },
        generators: gens.map((g) => g.generator),
        provenance: {
          kind: "imported",
          source: sources.map((s) => `${s.file} (sha256 ${s.sha256})`).join(" + "),
          sha256: first.sha256,
          date,
        },
        metrics: [],
        license: { spdx: "NOASSERTION", attribution: "Opened from this device" },
        samples: [],
      };
      const stored = Object.values(files2).reduce((n, b) => n + b.byteLength, 0);
      const model: YourModel = { id, name, date, sources, stored, entry };
      const checks = gens
        .flatMap((g) =>
          g.checks.map(
            (c) =>
              `${g.detected.direction} ${c.dtype} ${c.dtype === "fp32" ? `max abs ${c.maxAbsDiff.toExponential(1)}` : `${c.psnrDb.toFixed(1)} dB`}`,
          ),
        )
        .join(", ");
      let keptNote = "";
      try {
        await saveModel(model, files2);
        transient.delete(id);
      } catch (err) {
        if (!(err instanceof StorageFullError)) throw err;
        transient.set(id, { model, files: files2 });
        keptNote = ` Not kept on this device: ${err.message}. It works until you close this page; delete a model from Your models to make room.`;
        hooks.say(
          "note",
          `Storage is full: “${name}” is not kept (${err.message}). It works for this visit.`,
        );
      }
      for (const note of gens.flatMap((g) => g.notes)) hooks.say("note", note);
      selected = id;
      el.status.textContent = `“${name}” converted in ${formatMs(converted.ms)} and checked on a fixed probe against the float32 reference (${checks}).${keptNote}`;
      outcome = "done";
      Object.assign(el.section.dataset, {
        lastId: id,
        lastMs: String(Math.round(converted.ms)),
        kept: String(!transient.has(id)),
        imports: String(Number(el.section.dataset.imports ?? 0) + 1),
      });
      use(model);
    } catch (err) {
      if (ctrl.signal.aborted) el.status.textContent = "Conversion cancelled.";
      else
        hooks.say(
          "error",
          err instanceof ImportError
            ? describeImportError(err)
            : `The import failed: ${(err as Error).message}`,
        );
    } finally {
      running = undefined;
      el.progress.hidden = true;
      await render();
      // Last, so whoever waits for it (tests, the benchmark) finds the page settled.
      el.section.dataset.state = outcome;
    }
  }

  await render();
  return { importFiles };
}
