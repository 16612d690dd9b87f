/// <reference lib="webworker" />
/**
 * The .pth import worker: `npm run import`'s own reader and writer
 * (training/import: readTorchFile with its hostile-file limits,
 * generatorFromStateDict; training/export: buildOnnx) run here, off the page,
 * followed by the check: every variant runs once in onnxruntime-web
 * (WebAssembly, CPU, as the CLI checks in onnxruntime-node) on a fixed probe
 * and is compared with a float32 reference of the same layer list
 * (pth-reference.ts) under the export budgets (training/export/budgets.ts).
 * Loaded only when a .pth file is opened.
 */
import { SIZE_MULTIPLE } from "../../../models/contract.ts";
import { NORM_STATS_IO } from "../../../models/norm-stats.ts";
import type { Direction, Dtype, Generator } from "../../../models/schema.ts";
import { variantTargets } from "../../../models/select.ts";
import { withinBudget } from "../../../training/export/budgets.ts";
import { compareOutputs } from "../../../training/export/metrics.ts";
import onnxProto from "../../../training/export/onnx.proto?raw";
import { buildOnnx } from "../../../training/export/onnx.ts";
import { OPSET, useOnnxProtoSource } from "../../../training/export/proto.ts";
import {
  generatorFromStateDict,
  type ImportedGenerator,
} from "../../../training/import/state-dict.ts";
import { readTorchFile } from "../../../training/import/torch-file.ts";
import {
  countMacs,
  countParams,
  normChannels,
  upsampleOf,
} from "../../../training/networks/spec.ts";
import { sha256Hex } from "./model-store.ts";
import { createSession, RuntimeLoadError } from "./ort-engine.ts";
import { STANDARD_IO } from "./pth-io.ts";
import type {
  ConvertedGenerator,
  ConvertRequest,
  Detected,
  ImportErrorCode,
  ImportReply,
  ImportStage,
  VariantFigures,
} from "./pth-protocol.ts";
import { PROBE_SIDE, probeImage, referenceForward } from "./pth-reference.ts";

declare const self: DedicatedWorkerGlobalScope;

const ORT_BASE = new URL(__ORT_BASE__, self.location.origin).href;
const DIRECTIONS: readonly Direction[] = ["AtoB", "BtoA"];
const DTYPES: readonly Dtype[] = ["fp32", "fp16", "int8"];
/** As `npm run import`: the reference trains on 256 px crops; the site's default working size. */
const TRAINED_SIZE = 256;
const RECOMMENDED_MAX_SIDE = 512;

useOnnxProtoSource(onnxProto, { compiled: false }); // the site's CSP forbids compiled codecs

class ImportFailure extends Error {
  readonly code: ImportErrorCode;
  readonly file: string | undefined;
  constructor(code: ImportErrorCode, message: string, file?: string) {
    super(message);
    this.code = code;
    this.file = file;
  }
}

const post = (reply: ImportReply, transfer: Transferable[] = []) =>
  self.postMessage(reply, transfer);
const stage = (s: ImportStage, file: string, text: string) =>
  post({ type: "stage", stage: s, file, text });
const messageOf = (e: unknown) => (e instanceof Error ? e.message : String(e));
const isMemory = (e: unknown) =>
  e instanceof RangeError && /allocation|out of memory|invalid array length/i.test(e.message);

/** Reading: the bytes, their sha256, the tensors, and the architecture they make. */
async function read(file: File, direction: Direction): Promise<[ImportedGenerator, Detected]> {
  stage("reading", file.name, `Reading ${file.name}`);
  const bytes = await file.arrayBuffer();
  const sha256 = await sha256Hex(bytes);
  let dict: ReturnType<typeof readTorchFile>;
  try {
    dict = readTorchFile(new Uint8Array(bytes), file.name);
  } catch (e) {
    if (isMemory(e)) throw e;
    const code = /is not a PyTorch checkpoint|tar format/.test(messageOf(e))
      ? "not-pth"
      : "unreadable";
    throw new ImportFailure(code, messageOf(e), file.name);
  }
  let g: ImportedGenerator;
  try {
    g = generatorFromStateDict(dict, file.name);
  } catch (e) {
    if (isMemory(e)) throw e;
    const code = /truncated|corrupt/.test(messageOf(e)) ? "unreadable" : "not-generator";
    throw new ImportFailure(code, messageOf(e), file.name);
  }
  const detected: Detected = {
    file: file.name,
    direction,
    bytes: file.size,
    sha256,
    netG: g.netG,
    ngf: g.ngf,
    blocks: Number(/\d+/.exec(g.netG)?.[0] ?? 0),
    norm: g.norm,
    params: countParams(g.spec),
    dropped: g.dropped.length,
  };
  post({ type: "detected", detected });
  return [g, detected];
}

/** One variant on the probe in onnxruntime-web (WebAssembly, one thread: the probe is small). */
async function runProbe(onnx: Uint8Array, probe: Float32Array): Promise<Float32Array> {
  const session = await createSession(onnx, { engine: "wasm", ortBase: ORT_BASE, numThreads: 1 });
  try {
    return (await session.run(probe, PROBE_SIDE, PROBE_SIDE)).output;
  } finally {
    await session.release();
  }
}

async function convertOne(file: File, direction: Direction): Promise<ConvertedGenerator> {
  const [g, detected] = await read(file, direction);
  const built: { dtype: Dtype; onnx: Uint8Array }[] = [];
  const notes: string[] = [];
  for (const dtype of DTYPES) {
    stage("converting", file.name, `Converting ${file.name} to ONNX (${dtype})`);
    try {
      built.push({ dtype, onnx: buildOnnx(g.spec, g.weights, dtype) });
    } catch (e) {
      // fp16 refuses weights past its range; the other variants still serve.
      if (dtype === "fp32" || isMemory(e)) throw e;
      notes.push(`${dtype} left out: ${messageOf(e)}`);
    }
  }
  stage(
    "checking",
    file.name,
    `Checking ${file.name}: float32 reference on a ${PROBE_SIDE} px probe`,
  );
  const probe = probeImage();
  const t0 = performance.now();
  const expected = referenceForward(g.spec, g.weights, probe, PROBE_SIDE, PROBE_SIDE);
  const referenceMs = performance.now() - t0;
  const checks: VariantFigures[] = [];
  const kept: typeof built = [];
  for (const v of built) {
    stage("checking", file.name, `Checking ${file.name}: ${v.dtype} in onnxruntime`);
    const output = await runProbe(v.onnx, probe);
    const figures = compareOutputs(output, expected);
    const passed = withinBudget(v.dtype, figures);
    checks.push({ dtype: v.dtype, ...figures, passed });
    if (passed) kept.push(v);
    else if (v.dtype === "fp32")
      throw new ImportFailure(
        "check",
        `the converted fp32 file differs from the float32 reference by ${figures.maxAbsDiff.toExponential(1)} (budget 1e-4): please report this file`,
        file.name,
      );
    else
      notes.push(`${v.dtype} left out: ${figures.psnrDb.toFixed(1)} dB on the probe, under 35 dB`);
  }
  const statsLength = 2 * normChannels(g.spec).reduce((a, b) => a + b, 0);
  const files: Record<string, ArrayBuffer> = {};
  const variants = [];
  for (const v of kept) {
    const name = `${direction}.${v.dtype}.onnx`;
    const buffer = v.onnx.buffer.slice(v.onnx.byteOffset, v.onnx.byteOffset + v.onnx.byteLength);
    files[name] = buffer as ArrayBuffer;
    const check = checks.find((c) => c.dtype === v.dtype) as VariantFigures;
    variants.push({
      dtype: v.dtype,
      file: name,
      bytes: v.onnx.byteLength,
      sha256: await sha256Hex(buffer as ArrayBuffer),
      opset: OPSET,
      ...variantTargets(v.dtype), // the policy models/select.ts picks by, as for a shipped model
      check: { maxAbsDiff: check.maxAbsDiff, psnrDb: check.psnrDb },
    });
  }
  // The same description pipeline.ts's generatorEntry writes for `npm run import`.
  const generator: Generator = {
    direction,
    architecture: {
      netG: g.netG,
      ngf: g.ngf,
      upsample: upsampleOf(g.spec),
      params: countParams(g.spec),
      macs256: countMacs(g.spec, 256, 256),
    },
    io: {
      ...STANDARD_IO,
      sizeMultiple: SIZE_MULTIPLE,
      trainedSize: TRAINED_SIZE,
      recommendedMaxSide: RECOMMENDED_MAX_SIDE,
      ...(statsLength > 0 ? { normStats: { ...NORM_STATS_IO, length: statsLength } } : {}),
    },
    variants,
  };
  return { detected, generator, checks, notes, files, referenceMs };
}

async function convert(req: ConvertRequest): Promise<void> {
  const t0 = performance.now();
  if (req.files.length < 1 || req.files.length > 2)
    throw new ImportFailure(
      "internal",
      `open one .pth file, or two (one per direction); got ${req.files.length}`,
    );
  const generators: ConvertedGenerator[] = [];
  for (const [i, file] of req.files.entries())
    generators.push(await convertOne(file, DIRECTIONS[i] as Direction));
  const transfer = generators.flatMap((g) => Object.values(g.files));
  post({ type: "done", generators, ms: performance.now() - t0 }, transfer);
}

self.onmessage = async (event: MessageEvent<ConvertRequest>) => {
  try {
    await convert(event.data);
  } catch (e) {
    const code: ImportErrorCode =
      e instanceof ImportFailure
        ? e.code
        : e instanceof RuntimeLoadError
          ? "runtime"
          : isMemory(e)
            ? "memory"
            : "internal";
    const file = e instanceof ImportFailure ? e.file : undefined;
    post({ type: "error", code, message: messageOf(e), ...(file ? { file } : {}) });
  }
};
