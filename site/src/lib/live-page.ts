/**
 * Live mode on the translate page (loaded when Start camera is first pressed).
 * The camera's frames go to the live worker latest-first: one frame at a time
 * is with the engine, and frames the camera presents meanwhile are dropped,
 * never queued, so the picture lags by at most about one frame's work.
 * Hidden tab: paused. Stop or leaving the page: the camera is released.
 * Snapshot: the current frame's input and translation go to the result panel.
 * Nothing is sent anywhere; a frame leaves the device only if a snapshot is shared.
 */
import { type Caps, type EngineChoice, engineLabel, resolveEngine } from "./caps.ts";
import { byId } from "./dom.ts";
import { InferenceError } from "./inference-client.ts";
import { CameraError, cameraMessage, listCameras, openCamera, unplugged } from "./live-camera.ts";
import { LiveWorker } from "./live-client.ts";
import { liveModel } from "./live-model.ts";
import type { LiveFrameDone } from "./live-protocol.ts";
import { LIVE_SIZES, LiveStats, liveFrameSize, pickLiveSize } from "./live-stats.ts";
import { describeError } from "./messages.ts";
import type { EngineName, Fault } from "./protocol.ts";
import type { ModelSource } from "./translator.ts";

export interface Snapshot {
  model: ModelSource;
  direction: "AtoB" | "BtoA";
  input: Blob;
  output: Blob;
  width: number;
  height: number;
  engine: EngineName;
  dtype: string;
  label: string;
  /** Median work per frame (convert + run + draw) and the engine's start time. */
  ms: number;
  loadMs: number;
}

export interface LiveHost {
  caps: Caps;
  /** The style and direction selected now (undefined before one is chosen). */
  source(): { model: ModelSource; direction: "AtoB" | "BtoA" } | undefined;
  engine(): EngineChoice;
  fault?: Fault;
  showSnapshot(snap: Snapshot): void;
}

/** Frames timed before the size is picked for this device. */
const PICK_AFTER = 6;
const SIZE_KEY = "unpaired-live-size";

interface Engine {
  worker: LiveWorker;
  name: EngineName;
  dtype: string;
  label: string;
  loadMs: number;
  /** What it was started for: a change of style or engine choice restarts it. */
  source: ReturnType<LiveHost["source"]>;
  choice: EngineChoice;
}

export interface LiveMode {
  toggle(): Promise<void>;
}

export function wireLive(host: LiveHost): LiveMode {
  const el = {
    root: byId("live"),
    toggle: byId<HTMLButtonElement>("live-toggle"),
    cameraLabel: byId("live-camera-label"),
    camera: byId<HTMLSelectElement>("live-camera"),
    size: byId<HTMLSelectElement>("live-size"),
    snapshot: byId<HTMLButtonElement>("live-snapshot"),
    view: byId("live-view"),
    slot: byId("live-canvas-slot"),
    video: byId<HTMLVideoElement>("live-video"),
    stats: byId("live-stats"),
    message: byId("live-message"),
  };
  let stream: MediaStream | undefined;
  let engine: Engine | undefined;
  let stats = new LiveStats();
  let busy = false;
  let pending = false;
  let paused = false;
  let lastPresented = 0;
  // A size chosen before live mode loaded is the visitor's; the default is picked by measuring.
  let sizeAuto = el.size.selectedOptions[0]?.defaultSelected ?? true;
  let webgpuFailed = false;
  let shownAt = 0;
  /** Bumped on every start and stop: callbacks of an older run do nothing. */
  let generation = 0;

  const remembered = (): number | undefined => {
    try {
      const n = Number(localStorage.getItem(SIZE_KEY));
      return (LIVE_SIZES as readonly number[]).includes(n) ? n : undefined;
    } catch {
      return undefined;
    }
  };
  const initial = remembered();
  if (initial && sizeAuto) el.size.value = String(initial);
  el.size.addEventListener("change", () => {
    sizeAuto = false;
    stats = new LiveStats();
  });

  const setState = (state: string) => {
    el.root.dataset.state = state;
  };
  const say = (text: string, kind: "error" | "info" = "info") => {
    el.message.textContent = text;
    el.message.classList.toggle("error", kind === "error");
    el.message.setAttribute("role", kind === "error" ? "alert" : "status");
  };

  function release(): void {
    for (const track of stream?.getTracks() ?? []) track.stop();
    stream = undefined;
    el.video.srcObject = null;
    engine?.worker.terminate();
    engine = undefined;
    busy = false;
    pending = false;
  }

  function stop(message?: string): void {
    generation++;
    release();
    el.view.hidden = true;
    el.snapshot.disabled = true;
    el.toggle.textContent = "Start camera";
    el.toggle.setAttribute("aria-pressed", "false");
    setState(message ? "error" : "off");
    if (message) say(message, "error");
  }

  /** A fresh canvas per worker: a canvas can be handed to a worker only once. */
  function freshCanvas(): OffscreenCanvas {
    const canvas = document.createElement("canvas");
    canvas.id = "live-canvas";
    canvas.setAttribute("aria-label", "The camera's video, translated");
    el.slot.replaceChildren(canvas);
    return canvas.transferControlToOffscreen();
  }

  async function startEngine(gen: number): Promise<void> {
    const source = host.source();
    if (!source) throw new Error("Choose a style (or open your own model) first.");
    const choice = host.engine();
    const resolved = resolveEngine(choice, host.caps);
    // After a WebGPU failure live mode stays on WebAssembly (a forced WebGPU too: a stream
    // that keeps failing over would never show a frame); a reload tries WebGPU again.
    const name: EngineName = webgpuFailed ? "wasm" : resolved.engine;
    if (resolved.note) say(resolved.note);
    engine?.worker.terminate();
    engine = undefined;
    busy = false;
    const file = await liveModel(source.model, name, host.caps, (t) => say(`${t}…`));
    if (gen !== generation) return;
    say(name === "webgpu" ? "Starting the WebGPU engine…" : "Starting the WebAssembly engine…");
    const worker = new LiveWorker(name, {
      drawn: (d) => gen === generation && drawn(d),
      failed: (err, lost) => gen === generation && void failed(err, lost, gen),
    });
    try {
      const started = await worker.start({
        model: file.bytes,
        shaderF16: file.dtype === "fp16",
        canvas: freshCanvas(),
        profile: new URL(location.href).searchParams.has("live-profile"),
        ...(host.fault ? { fault: host.fault } : {}),
      });
      if (gen !== generation) {
        worker.terminate();
        return;
      }
      const label = engineLabel(
        name,
        file.dtype === "custom" ? "(your model)" : file.dtype,
        started.threads,
      );
      engine = { worker, name, dtype: file.dtype, label, loadMs: started.ms, source, choice };
      Object.assign(el.root.dataset, { engine: name, dtype: file.dtype });
      say(`Live on ${label}${started.adapter ? ` (${started.adapter})` : ""}.`);
    } catch (err) {
      worker.terminate();
      if (name === "webgpu" && err instanceof InferenceError && gen === generation) {
        webgpuFailed = true;
        await startEngine(gen);
        say(`WebGPU failed (${err.message}). Live mode runs on WebAssembly.`);
        return;
      }
      throw err;
    }
  }

  async function failed(err: InferenceError, lost: boolean, gen: number): Promise<void> {
    if (lost || (err.engine === "webgpu" && err.code === "engine")) {
      webgpuFailed = true;
      try {
        await startEngine(gen);
        say(
          lost
            ? `The WebGPU device was lost (${err.message.replace(/^the WebGPU device was lost \((.*)\)$/, "$1")}). Live mode continues on WebAssembly.`
            : `WebGPU failed (${err.message}). Live mode continues on WebAssembly.`,
          "error",
        );
        setState("running");
        sendIfIdle();
        return;
      } catch (again) {
        stop(describeError(again));
        return;
      }
    }
    stop(describeError(err));
  }

  function send(): void {
    if (!engine || el.video.readyState < 2) return;
    const takenAt = performance.now();
    let frame: VideoFrame;
    try {
      frame = new VideoFrame(el.video);
    } catch {
      return; // no frame yet
    }
    const [width, height] = liveFrameSize(
      frame.displayWidth,
      frame.displayHeight,
      Number(el.size.value),
    );
    busy = true;
    stats.frameSent();
    el.root.dataset.inFlight = "1";
    engine.worker.send(frame, width, height, takenAt, performance.now() - takenAt);
  }

  function sendIfIdle(): void {
    if (paused || !engine) return;
    if (busy) pending = true;
    else send();
  }

  function drawn(d: LiveFrameDone): void {
    busy = false;
    el.root.dataset.inFlight = "0";
    const now = performance.now();
    stats.frameDrawn(now, now - d.takenAt, {
      capture: d.captureMs,
      convert: d.convertMs,
      run: d.runMs,
      draw: d.drawMs,
    });
    const s = stats.summary();
    if (sizeAuto && s.drawn === PICK_AFTER) {
      const perFrame = s.stages.convert + s.stages.run + s.stages.draw;
      const side = pickLiveSize(perFrame, Math.max(d.width, d.height));
      if (String(side) !== el.size.value) {
        el.size.value = String(side);
        stats = new LiveStats();
      }
      sizeAuto = false;
      try {
        localStorage.setItem(SIZE_KEY, String(side));
      } catch {
        // storage blocked: picked again next time
      }
    }
    el.snapshot.disabled = false;
    Object.assign(el.root.dataset, {
      drawn: String(s.drawn),
      sent: String(s.sent),
      presented: String(s.presented),
      dropped: String(s.dropped),
      fps: s.fps.toFixed(2),
      latencyP50: s.latencyP50.toFixed(1),
      latencyP95: s.latencyP95.toFixed(1),
      width: String(d.width),
      height: String(d.height),
      captureMs: s.stages.capture.toFixed(2),
      convertMs: s.stages.convert.toFixed(2),
      runMs: s.stages.run.toFixed(2),
      drawMs: s.stages.draw.toFixed(2),
    });
    if (now - shownAt > 250) {
      shownAt = now;
      const ms = (x: number) => x.toFixed(x < 10 ? 1 : 0);
      el.stats.textContent =
        `${s.fps.toFixed(1)} frames/s, ${d.width}×${d.height}, ${engine?.label ?? ""}. ` +
        `Latency ${ms(s.latencyP50)} ms (95%: ${ms(s.latencyP95)} ms); per frame: capture ${ms(s.stages.capture)}, ` +
        `convert ${ms(s.stages.convert)}, run ${ms(s.stages.run)}, draw ${ms(s.stages.draw)} ms. ` +
        `${s.dropped} camera frame${s.dropped === 1 ? "" : "s"} skipped while busy.`;
    }
    // The engine follows the page: another style, direction or engine choice restarts it.
    const selected = host.source();
    const same =
      selected?.model === engine?.source?.model &&
      selected?.direction === engine?.source?.direction;
    if (engine && (!same || host.engine() !== engine.choice)) {
      const gen = generation;
      void startEngine(gen)
        .then(() => gen === generation && sendIfIdle())
        .catch((err) => gen === generation && stop(describeError(err)));
      return;
    }
    if (pending && !paused) {
      pending = false;
      send();
    }
  }

  function onVideoFrame(gen: number): VideoFrameRequestCallback {
    return (_now, meta) => {
      if (gen !== generation) return;
      stats.framesPresented(lastPresented ? meta.presentedFrames - lastPresented : 1);
      lastPresented = meta.presentedFrames;
      sendIfIdle();
      el.video.requestVideoFrameCallback(onVideoFrame(gen));
    };
  }

  async function start(): Promise<void> {
    const gen = ++generation;
    stats = new LiveStats();
    lastPresented = 0;
    el.toggle.textContent = "Stop camera";
    el.toggle.setAttribute("aria-pressed", "true");
    setState("starting");
    say("Opening the camera…");
    try {
      if (!host.source()) throw new Error("Choose a style (or open your own model) first.");
      const chosen = el.camera.value || undefined;
      stream = await openCamera(chosen);
      if (gen !== generation) {
        for (const t of stream.getTracks()) t.stop();
        return;
      }
      const [track] = stream.getVideoTracks();
      track?.addEventListener(
        "ended",
        () => gen === generation && stop(cameraMessage(unplugged())),
      );
      const cameras = await listCameras();
      el.camera.replaceChildren(...cameras.map((c) => new Option(c.label, c.id)));
      el.camera.value = track?.getSettings().deviceId ?? chosen ?? "";
      el.cameraLabel.hidden = cameras.length < 2;
      el.video.srcObject = stream;
      await el.video.play();
      el.view.hidden = false;
      await startEngine(gen);
      if (gen !== generation) return;
      setState("running");
      el.video.requestVideoFrameCallback(onVideoFrame(gen));
    } catch (err) {
      if (gen !== generation) return;
      stop(
        err instanceof CameraError
          ? cameraMessage(err)
          : err instanceof InferenceError
            ? describeError(err)
            : err instanceof Error
              ? err.message
              : String(err),
      );
    }
  }

  el.camera.addEventListener("change", () => {
    if (stream) {
      stop();
      void start();
    }
  });
  el.snapshot.addEventListener("click", async () => {
    const source = engine?.source;
    const e = engine;
    if (!e || !source) return;
    const snap = await e.worker.snapshot();
    if (!snap.input || !snap.output) return;
    const s = stats.summary().stages;
    host.showSnapshot({
      ...source,
      input: snap.input,
      output: snap.output,
      width: snap.width,
      height: snap.height,
      engine: e.name,
      dtype: e.dtype,
      label: e.label,
      ms: s.convert + s.run + s.draw,
      loadMs: e.loadMs,
    });
  });
  document.addEventListener("visibilitychange", () => {
    if (!stream) return;
    paused = document.visibilityState === "hidden";
    for (const t of stream.getVideoTracks()) t.enabled = !paused;
    setState(paused ? "paused" : "running");
    if (paused) say("Paused while this tab is hidden.");
    else {
      say(`Live on ${engine?.label ?? ""}.`);
      sendIfIdle();
    }
  });
  // Leaving the page (or putting it in the back/forward cache) releases the camera.
  addEventListener("pagehide", () => stop());

  return {
    async toggle() {
      if (stream || el.root.dataset.state === "starting") stop();
      else await start();
    },
  };
}
