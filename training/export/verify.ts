/**
 * Checks an ONNX file that is already on disk (`npm run export -- verify FILE`):
 * it decodes as an ONNX model with the standard input/output, uses only ops the
 * browser providers run, loads in onnxruntime-node, produces finite output of
 * the input's size, and matches its manifest entry (size, sha256) when listed.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { SIZE_MULTIPLE } from "../../models/contract.ts";
import type { Manifest } from "../../models/schema.ts";
import { onnxRunner } from "./infer.ts";
import { INPUT_NAME, OUTPUT_NAME } from "./onnx.ts";
import { decodeModel, type ModelProto } from "./proto.ts";

/** onnxruntime(-web) 1.30 runs opsets 13-26 (see models/schema.ts Variant.opset). */
const OPSET_RANGE = [13, 26] as const;
/** Integer ops WebGPU lacks: a file with them would not run in the site's GPU path. */
const BANNED_OPS = ["ConvInteger", "MatMulInteger", "DynamicQuantizeLinear"];
/** Bytes per element of the TensorProto data types an exported file may hold. */
const ELEMENT_BYTES: Record<number, number> = { 1: 4, 2: 1, 3: 1, 7: 8, 10: 2 };

export interface OnnxSummary {
  irVersion: number;
  opset: number;
  ops: string[];
  dtype: string | undefined;
  initializerBytes: number;
}

export class InvalidOnnxError extends Error {
  override name = "InvalidOnnxError";
}

function decode(bytes: Uint8Array, label: string): ModelProto {
  if (bytes.length === 0) throw new InvalidOnnxError(`${label} is empty, not an ONNX model`);
  try {
    return decodeModel(bytes);
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    throw new InvalidOnnxError(
      `${label} is not a readable ONNX model (${why}); the file may be truncated or of another format`,
    );
  }
}

/** Structural checks on ONNX bytes; throws InvalidOnnxError listing every problem. */
export function inspectOnnx(bytes: Uint8Array, label: string): OnnxSummary {
  const model = decode(bytes, label);
  const problems: string[] = [];
  const graph = model.graph;
  const opset = model.opset_import.find((o) => o.domain === "" || o.domain === "ai.onnx")?.version;
  if (!Number.isInteger(model.ir_version) || model.ir_version < 3)
    problems.push(`IR version ${model.ir_version} is not a valid ONNX IR version`);
  if (opset === undefined) problems.push("no default-domain opset import");
  else if (opset < OPSET_RANGE[0] || opset > OPSET_RANGE[1])
    problems.push(`opset ${opset} is outside ${OPSET_RANGE.join("-")} (onnxruntime-web 1.30)`);
  if (!graph || graph.node.length === 0) problems.push("no graph nodes");
  const inputs = graph?.input.map((i) => i.name) ?? [];
  const outputs = graph?.output.map((o) => o.name) ?? [];
  if (!inputs.includes(INPUT_NAME))
    problems.push(`no input named "${INPUT_NAME}" (has ${inputs.join(", ") || "none"})`);
  if (!outputs.includes(OUTPUT_NAME))
    problems.push(`no output named "${OUTPUT_NAME}" (has ${outputs.join(", ") || "none"})`);
  const ops = [...new Set(graph?.node.map((n) => n.op_type) ?? [])].sort();
  const banned = ops.filter((op) => BANNED_OPS.includes(op));
  if (banned.length > 0) problems.push(`uses ${banned.join(", ")}, which WebGPU cannot run`);
  let initializerBytes = 0;
  for (const t of graph?.initializer ?? []) {
    const count = t.dims.reduce((a, b) => a * b, 1);
    const size = ELEMENT_BYTES[t.data_type];
    initializerBytes += t.raw_data.length;
    if (size !== undefined && t.raw_data.length !== count * size)
      problems.push(
        `initializer ${t.name} holds ${t.raw_data.length} bytes, its shape [${t.dims}] needs ${count * size}`,
      );
  }
  if (problems.length > 0)
    throw new InvalidOnnxError(`${label} is not a usable generator:\n  ${problems.join("\n  ")}`);
  const dtype = model.metadata_props.find((p) => p.key === "unpaired.dtype")?.value;
  return { irVersion: model.ir_version, opset: opset ?? 0, ops, dtype, initializerBytes };
}

export interface VerifyResult extends OnnxSummary {
  file: string;
  bytes: number;
  sha256: string;
  /** What the manifest says about this file, when it lists it. */
  manifest: "matches" | "not listed";
}

/**
 * Full check of one file; throws with a clear message on the first kind of failure found.
 * `manifestPath`: where `manifest` was read from, named when the file does not match it.
 */
export async function verifyFile(
  file: string,
  manifest?: Manifest,
  manifestPath = "the manifest",
): Promise<VerifyResult> {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    throw new Error(`cannot read ${file}: ${e instanceof Error ? e.message : e}`);
  }
  const summary = inspectOnnx(bytes, file);
  const sha256 = createHash("sha256").update(bytes).digest("hex");
  const id = path.basename(path.dirname(path.resolve(file)));
  const entry = manifest?.models.find((m) => m.id === id);
  const listed = entry?.generators.flatMap((g) =>
    g.variants.filter((v) => v.file === path.basename(file)).map((v) => ({ g, v })),
  )[0];
  if (listed && (listed.v.sha256 !== sha256 || listed.v.bytes !== bytes.length)) {
    throw new Error(
      `${file} does not match ${manifestPath} (${listed.v.bytes} bytes, sha256 ${listed.v.sha256.slice(0, 12)}...; ` +
        `file has ${bytes.length} bytes, sha256 ${sha256.slice(0, 12)}...): re-export it`,
    );
  }
  const multiple = listed?.g.io.sizeMultiple ?? SIZE_MULTIPLE;
  let session: Awaited<ReturnType<typeof onnxRunner>>;
  try {
    session = await onnxRunner(bytes, multiple);
  } catch (e) {
    throw new Error(`onnxruntime cannot load ${file}: ${e instanceof Error ? e.message : e}`);
  }
  try {
    const side = multiple * 4;
    const data = new Float32Array(3 * side * side).map((_, i) => Math.sin(i * 0.37));
    const out = await session.run({ data, width: side, height: side });
    if (out.width !== side || out.height !== side)
      throw new Error(`${file} turned a ${side}x${side} input into ${out.width}x${out.height}`);
    if (!out.data.every(Number.isFinite)) throw new Error(`${file} produced non-finite values`);
    const promised = listed?.g.io.normStats?.length ?? 0;
    if (listed && session.statsLength !== promised) {
      throw new Error(
        `${file} takes ${session.statsLength} normalisation statistics, ${manifestPath} says ${promised}: re-export it`,
      );
    }
    if (out.stats) {
      // Frozen on its own statistics, the graph must give back its own output.
      const frozen = await session.run({ data, width: side, height: side }, out.stats);
      const gap = frozen.data.reduce((m, v, i) => Math.max(m, Math.abs(v - (out.data[i] ?? 0))), 0);
      if (!(gap <= 1e-5)) {
        throw new Error(
          `${file} run with its own statistics frozen differs by ${gap}: re-export it`,
        );
      }
    }
  } finally {
    await session.release();
  }
  return {
    ...summary,
    file,
    bytes: bytes.length,
    sha256,
    manifest: listed ? "matches" : "not listed",
  };
}
