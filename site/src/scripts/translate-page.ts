/**
 * The translate page: wires the picker, photo input, options, progress and
 * result. The translator (and with it the worker and onnxruntime-web) loads
 * only when the first photo arrives.
 */
import type { Direction, Dtype, Manifest, ModelEntry } from "../../../models/schema.ts";
import { type Caps, detectCaps, type EngineChoice, resolveEngine } from "../lib/caps.ts";
import { downloadNote, renderCards, renderDirections } from "../lib/cards.ts";
import { byId } from "../lib/dom.ts";
import { formatBytes, formatMs, formatProgress } from "../lib/format.ts";
import { lastStyle, rememberStyle } from "../lib/last-style.ts";
import type { LiveMode } from "../lib/live-page.ts";
import { findGenerator, loadManifest, settingsFromUrl } from "../lib/manifest.ts";
import { describeError, unsupportedFileMessage } from "../lib/messages.ts";
import type { Progress } from "../lib/model-store.ts";
import { registerOffline } from "../lib/offline.ts";
import type { Fault, Mode } from "../lib/protocol.ts";
import { hasYourModels, isTorchFile } from "../lib/pth-kept.ts";
import { qualityLine } from "../lib/quality.ts";
import type { ModelSource, Outcome, Translator } from "../lib/translator.ts";
import { wireOwnModelDrop } from "./own-model-drop.ts";
import { wirePhotoInput } from "./photo-input.ts";
import { wireSharePanel } from "./share-panel.ts";
import type { YourModels } from "./your-models.ts";

const $ = byId;

const ui = {
  models: $("models"),
  modelsStatus: $("models-status"),
  template: $<HTMLTemplateElement>("model-card"),
  direction: $<HTMLFieldSetElement>("direction"),
  directionOptions: $("direction-options"),
  quality: $("model-quality"),
  ownModelFile: $<HTMLInputElement>("own-model-file"),
  ownModelName: $("own-model-name"),
  workingSize: $<HTMLSelectElement>("working-size"),
  maxPixels: $<HTMLSelectElement>("max-pixels"),
  engineCaps: $("engine-caps"),
  optionsSummary: $("options-summary"),
  translate: $<HTMLButtonElement>("translate"),
  messages: $("messages"),
  progress: $("progress"),
  stage: $("stage"),
  cancel: $<HTMLButtonElement>("cancel"),
  download: $("download"),
  downloadBar: $<HTMLProgressElement>("download-bar"),
  downloadText: $("download-text"),
  tiles: $("tiles"),
  tileBar: $<HTMLProgressElement>("tile-bar"),
  tileText: $("tile-text"),
  result: $("result"),
  resultEmpty: $("result-empty"),
  resultTitle: $("result-title"),
  engineNote: $("engine-note"),
  downloadPng: $<HTMLAnchorElement>("download-png"),
  before: document.querySelector<HTMLImageElement>(
    "#compare [data-role=before]",
  ) as HTMLImageElement,
  after: document.querySelector<HTMLImageElement>("#compare [data-role=after]") as HTMLImageElement,
};

const checked = (name: string) =>
  document.querySelector<HTMLInputElement>(`input[name=${name}]:checked`)?.value;
const fault = (new URL(location.href).searchParams.get("fault") as Fault | null) ?? undefined;

/** What a translation was asked for, taken when it starts (the selection may change meanwhile). */
interface Job {
  model: ModelSource;
  direction: Direction;
  photo: Blob;
}

const state: {
  manifest?: Manifest;
  model?: ModelSource;
  direction: Direction;
  photo?: Blob;
  /** Object URLs of the result shown and of the photo that produced it. */
  resultUrl?: string;
  resultPhotoUrl?: string;
  /** The result shown and what produced it: download name and share use this. */
  result?: Job & { outcome: Outcome };
  /** Set while a translation runs; aborting it is the Cancel button. */
  running?: AbortController;
  /** A photo, model or option arrived while running: run again with it afterwards. */
  again: boolean;
  translator?: Translator;
  /** "Your models" (.pth import and models kept here), loaded when first needed. */
  yourModels?: Promise<YourModels>;
  /** The engine a run would use, once capabilities are known. */
  engineName: string;
} = { direction: "AtoB", again: false, engineName: "Automatic" };

const capsReady: Promise<Caps> = detectCaps();

function say(kind: "error" | "note", text: string): void {
  const p = document.createElement("p");
  p.className = `message ${kind}`;
  p.setAttribute("role", kind === "error" ? "alert" : "status");
  p.textContent = text;
  ui.messages.append(p);
}

function engineChoice(): EngineChoice {
  return (checked("engine") as EngineChoice | undefined) ?? "auto";
}

async function describeCaps(): Promise<void> {
  const caps = await capsReady;
  const { engine } = resolveEngine(engineChoice(), caps);
  const gpu = caps.webgpu
    ? `WebGPU available${caps.fallbackAdapter ? " (software adapter: slow, so Automatic uses WebAssembly)" : ""}${caps.shaderF16 ? " with fp16" : ""}.`
    : `No WebGPU: ${caps.webgpuReason}.`;
  ui.engineCaps.textContent = `${gpu} WebAssembly: ${caps.threads} thread${caps.threads === 1 ? "" : "s"}.`;
  state.engineName = engine === "webgpu" ? "WebGPU" : "WebAssembly";
  summarise();
  if (state.manifest) {
    for (const card of ui.models.querySelectorAll<HTMLElement>(".card")) {
      const entry = state.manifest.models.find((m) => m.id === card.querySelector("input")?.value);
      const generator = entry && findGenerator(entry, state.direction);
      const meta = card.querySelector(".card-meta");
      if (generator && meta) {
        void downloadNote(entry.id, generator, engine, caps).then((text) => {
          meta.textContent = text;
        });
      }
    }
  }
}

/** The one-line summary on the closed Options panel: what a run will do now. */
function summarise(): void {
  const mode =
    checked("mode") === "full"
      ? `Full resolution up to ${ui.maxPixels.selectedOptions[0]?.textContent ?? ""}`
      : "Quick preview";
  ui.optionsSummary.textContent = `${mode}, ${ui.workingSize.value} px, ${state.engineName}`;
}

/** Select a working size, adding it to the list when a model recommends an unlisted one. */
function setWorkingSize(px: number): void {
  const value = String(px);
  if (![...ui.workingSize.options].some((o) => o.value === value)) {
    const option = new Option(`${px} px`, value);
    const after = [...ui.workingSize.options].find((o) => Number(o.value) > px);
    ui.workingSize.add(option, after);
  }
  ui.workingSize.value = value;
  summarise();
}

function selectDirection(dir: Direction): void {
  state.direction = dir;
  if (state.model?.kind === "manifest" || state.model?.kind === "device") {
    const generator = findGenerator(state.model.entry, dir);
    if (generator) {
      state.model = { ...state.model, generator };
      setWorkingSize(generator.io.recommendedMaxSide);
    }
    showQuality(qualityLine(state.model.entry, dir));
  }
  void describeCaps();
}

function showQuality(text: string): void {
  ui.quality.textContent = text;
  ui.quality.hidden = text === "";
}

/** A published style, or with `read` a model kept on this device (Your models). */
function selectModel(
  entry: ModelEntry,
  dir: Direction = state.direction,
  read?: (file: string) => Promise<ArrayBuffer>,
): void {
  const direction = renderDirections(
    ui.direction,
    ui.directionOptions,
    entry,
    dir,
    selectDirection,
  );
  const generator = findGenerator(entry, direction);
  if (!generator) return;
  state.model = read
    ? { kind: "device", entry, generator, read }
    : { kind: "manifest", entry, generator };
  selectDirection(direction);
  ui.translate.disabled = !state.photo;
  // A photo that came first (or before the styles loaded) runs once it has a style.
  if (state.photo && state.result?.photo !== state.photo) void run();
}

async function showModels(): Promise<void> {
  try {
    const { manifest, offline } = await loadManifest();
    state.manifest = manifest;
    const caps = await capsReady;
    const engine = resolveEngine(engineChoice(), caps).engine;
    const radios = renderCards(
      ui.models,
      ui.template,
      manifest.models,
      (entry) => {
        const g = findGenerator(entry, "AtoB") ?? entry.generators[0];
        return g ? downloadNote(entry.id, g, engine, caps) : "";
      },
      (entry) => {
        rememberStyle(entry.id);
        selectModel(entry);
      },
    );
    ui.modelsStatus.textContent = manifest.models.length
      ? `${manifest.models.length} style${manifest.models.length === 1 ? "" : "s"}${offline ? " (offline copy)" : ""}.`
      : "No styles are published yet. You can still open your own model below.";
    const wanted = settingsFromUrl(new URL(location.href));
    // The link's style, else the one used last here, else the first: a photo never waits for one.
    const entry = wanted.model
      ? manifest.models.find((m) => m.id === wanted.model)
      : (manifest.models.find((m) => m.id === lastStyle()) ?? manifest.models[0]);
    if (entry) {
      const radio = radios.get(entry.id);
      if (radio) radio.checked = true;
      selectModel(entry, wanted.dir ?? "AtoB");
    } else if (wanted.model) {
      say(
        "error",
        `The link names a style “${wanted.model}” that is not published. Pick another one.`,
      );
    }
  } catch (err) {
    ui.modelsStatus.textContent = describeError(err);
  }
}

function showProgress(p: Progress): void {
  ui.download.hidden = false;
  const pct = p.total ? Math.floor((100 * p.loaded) / p.total) : 0;
  ui.downloadBar.value = pct;
  ui.downloadText.textContent =
    p.source === "cache"
      ? `From this device (${formatBytes(p.total)})`
      : `${formatProgress(p.loaded, p.total)} from ${p.source === "static" ? "the site" : "the API"}`;
}

function showResult(job: Job, outcome: Outcome): void {
  for (const url of [state.resultUrl, state.resultPhotoUrl]) if (url) URL.revokeObjectURL(url);
  state.resultUrl = URL.createObjectURL(outcome.png);
  // "Before" is this job's photo, set with its result: a photo added since then
  // is not shown against a result it did not produce.
  state.resultPhotoUrl = URL.createObjectURL(job.photo);
  state.result = { ...job, outcome };
  ui.before.src = state.resultPhotoUrl;
  ui.after.src = state.resultUrl;
  ui.downloadPng.href = state.resultUrl;
  const name = job.model.kind === "local" ? "unpaired" : `${job.model.entry.id}-${job.direction}`;
  $("share-why").hidden = job.model.kind === "manifest";
  ui.downloadPng.download = `${name}.png`;
  const size = `${outcome.width}×${outcome.height}`;
  const tiles = outcome.tiles > 1 ? ` in ${outcome.tiles} tiles` : "";
  const stats = outcome.statsMs > 0 ? `, colour statistics ${formatMs(outcome.statsMs)}` : "";
  const source = `${outcome.sourceWidth}×${outcome.sourceHeight}`;
  const shrunk =
    outcome.width === outcome.sourceWidth
      ? ""
      : outcome.mode === "fast"
        ? ` A preview of the ${source} photo: choose Full resolution in Options for every pixel.`
        : ` Shrunk from ${source} to the largest result set in Options.`;
  ui.engineNote.textContent = `${outcome.label}: ${size}${tiles} in ${formatMs(outcome.ms)} (engine start ${formatMs(outcome.loadMs)}${stats})${outcome.fellBack ? ", after WebGPU failed" : ""}.${shrunk}`;
  // Machine-readable summary of the last run (tests and the benchmark read it).
  Object.assign(ui.result.dataset, {
    engine: outcome.engine,
    dtype: outcome.dtype,
    fellBack: String(outcome.fellBack),
    ms: String(Math.round(outcome.ms)),
    statsMs: String(Math.round(outcome.statsMs)),
    tiles: String(outcome.tiles),
    runs: String(Number(ui.result.dataset.runs ?? 0) + 1),
  });
  sharePanel.reset();
  ui.result.hidden = false;
  ui.resultEmpty.hidden = true;
  ui.resultTitle.focus({ preventScroll: true });
  const still = matchMedia("(prefers-reduced-motion: reduce)").matches;
  ui.result.scrollIntoView({ behavior: still ? "auto" : "smooth", block: "nearest" });
}

async function run(): Promise<void> {
  if (!state.photo) return;
  if (state.running) {
    state.again = true;
    return;
  }
  if (!state.model) {
    say("error", "Choose a style (or open your own model) first.");
    return;
  }
  const job: Job = { model: state.model, direction: state.direction, photo: state.photo };
  const running = new AbortController();
  state.running = running;
  ui.translate.disabled = true;
  ui.messages.replaceChildren();
  ui.progress.hidden = false;
  ui.download.hidden = true;
  ui.tiles.hidden = true;
  try {
    const caps = await capsReady;
    if (!state.translator) {
      ui.stage.textContent = "Loading the translator";
      const { Translator } = await import("../lib/translator.ts");
      state.translator = new Translator(caps);
    }
    const outcome = await state.translator.translate(
      job.model,
      job.photo,
      {
        engine: engineChoice(),
        mode: (checked("mode") as Mode) ?? "full",
        workingSize: Number(ui.workingSize.value),
        maxPixels: Number(ui.maxPixels.value),
        signal: running.signal,
        ...(fault ? { fault } : {}),
      },
      {
        onDownload: showProgress,
        onStage: (text) => {
          ui.stage.textContent = `${text}…`;
        },
        onTile: (done, total) => {
          ui.tiles.hidden = total < 2;
          ui.tileBar.max = total;
          ui.tileBar.value = done;
          ui.tileText.textContent = `${done} of ${total}`;
        },
        onNote: (text) => say("note", text),
      },
    );
    showResult(job, outcome);
  } catch (err) {
    if (running.signal.aborted)
      say("note", "Cancelled. Your photo is kept: press Translate to run it.");
    else say("error", describeError(err));
  } finally {
    state.running = undefined;
    ui.progress.hidden = true;
    ui.translate.disabled = false;
  }
  if (state.again) {
    state.again = false;
    await run();
  }
}

function takePhoto(file: File): void {
  if (isTorchFile(file)) {
    void takeOwnModel([file]); // a .pth dropped on the photo zone is a model
    return;
  }
  const problem = unsupportedFileMessage(file);
  if (problem) {
    ui.messages.replaceChildren();
    say("error", problem);
    return;
  }
  state.photo = file;
  void run();
}

function yourModels(): Promise<YourModels> {
  state.yourModels ??= import("./your-models.ts").then(({ wireYourModels }) =>
    wireYourModels({
      select(entry, read) {
        ui.ownModelName.textContent = "";
        selectModel(entry, "AtoB", read);
      },
      forget(id) {
        if (state.model?.kind !== "device" || state.model.entry.id !== id) return;
        state.model = undefined;
        ui.direction.hidden = true;
        showQuality("");
      },
      say,
    }),
  );
  return state.yourModels;
}

async function takeOwnModel(files: File[]): Promise<void> {
  const file = files[0];
  if (!file) return;
  if (files.some(isTorchFile)) {
    ui.ownModelFile.value = "";
    ui.messages.replaceChildren();
    await (await yourModels()).importFiles(files);
    return;
  }
  state.model = { kind: "local", name: file.name, bytes: await file.arrayBuffer() };
  // Emptied, so that opening the same path again (an edited file) fires change again.
  ui.ownModelFile.value = "";
  for (const r of document.querySelectorAll<HTMLInputElement>("input[name=model]"))
    r.checked = false;
  ui.direction.hidden = true;
  showQuality("");
  ui.ownModelName.textContent = `Using ${file.name} (${formatBytes(file.size)}), on this device only.`;
  setWorkingSize(512);
  if (state.photo) void run();
}

// Live camera (lib/live-page.ts): its code loads on the first press of Start camera.
let live: Promise<LiveMode> | undefined;
$("live-toggle").addEventListener("click", async () => {
  live ??= import("../lib/live-page.ts").then(async ({ wireLive }) =>
    wireLive({
      caps: await capsReady,
      source: () => state.model && { model: state.model, direction: state.direction },
      engine: engineChoice,
      ...(fault ? { fault } : {}),
      showSnapshot: (snap) =>
        showResult(
          { model: snap.model, direction: snap.direction, photo: snap.input },
          {
            ...snap,
            png: snap.output,
            mode: "fast",
            sourceWidth: snap.width,
            sourceHeight: snap.height,
            tiles: 1,
            statsMs: 0,
            fellBack: false,
          },
        ),
    }),
  );
  await (await live).toggle();
});
wirePhotoInput(takePhoto);
const sharePanel = wireSharePanel((withInput) => {
  const { result } = state;
  if (result?.model.kind !== "manifest" || result.outcome.dtype === "custom") return undefined;
  return {
    modelId: result.model.entry.id,
    direction: result.direction,
    variant: result.outcome.dtype as Dtype,
    output: result.outcome.png,
    ...(withInput ? { input: result.photo } : {}),
  };
});
ui.ownModelFile.addEventListener(
  "change",
  () => void takeOwnModel([...(ui.ownModelFile.files ?? [])]),
);
wireOwnModelDrop((files) => void takeOwnModel(files));
ui.translate.addEventListener("click", () => void run());
ui.cancel.addEventListener("click", () => {
  state.again = false; // a photo that arrived meanwhile is kept, not run
  state.running?.abort();
});
for (const el of document.querySelectorAll(
  "input[name=engine], input[name=mode], #working-size, #max-pixels",
)) {
  el.addEventListener("change", () => void describeCaps());
}

void describeCaps();
void showModels();
void hasYourModels().then((kept) => {
  if (kept) void yourModels();
});
registerOffline();
