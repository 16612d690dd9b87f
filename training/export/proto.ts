/**
 * The ONNX protobuf schema, loaded from the official onnx.proto (ONNX 1.12,
 * Apache-2.0, header kept) with protobufjs at first use. Field names keep the
 * proto's snake_case so this code reads like the ONNX spec. The interfaces
 * below cover the subset of messages the exporter writes and the checker reads;
 * protobufjs's `verify` guards the encoder against drift from the schema.
 */
import protobuf from "protobufjs";
import { encodeMessage } from "./proto-reflect.ts";

/** ONNX IR version 8 (ONNX 1.10-1.12): what Debian's onnx checker and onnxruntime 1.30 both accept. */
export const IR_VERSION = 8;
/** Default opset: the newest that IR 8 / ONNX 1.12 knows; onnxruntime-web 1.30 runs 13-26. */
export const OPSET = 17;

/** TensorProto.DataType values used here. */
export const DataType = { FLOAT: 1, UINT8: 2, INT8: 3, INT64: 7, FLOAT16: 10 } as const;
export type DataTypeCode = (typeof DataType)[keyof typeof DataType];

/** AttributeProto.AttributeType values used here. */
export const AttributeType = { FLOAT: 1, INT: 2, STRING: 3, INTS: 7 } as const;

export interface TensorProto {
  name: string;
  dims: number[];
  data_type: number;
  /** Little-endian element bytes, as ONNX requires. */
  raw_data: Uint8Array;
}

export interface AttributeProto {
  name: string;
  type: number;
  f?: number;
  i?: number;
  s?: Uint8Array;
  ints?: number[];
}

export interface NodeProto {
  name: string;
  op_type: string;
  domain?: string;
  input: string[];
  output: string[];
  attribute: AttributeProto[];
}

export type Dimension = { dim_value: number } | { dim_param: string };

export interface ValueInfoProto {
  name: string;
  type: { tensor_type: { elem_type: number; shape: { dim: Dimension[] } } };
}

export interface GraphProto {
  name: string;
  node: NodeProto[];
  initializer: TensorProto[];
  input: ValueInfoProto[];
  output: ValueInfoProto[];
  doc_string?: string;
}

export interface ModelProto {
  ir_version: number;
  opset_import: { domain: string; version: number }[];
  producer_name: string;
  producer_version: string;
  doc_string?: string;
  graph: GraphProto;
  metadata_props: { key: string; value: string }[];
}

let modelType: protobuf.Type | undefined;
let protoSource: string | undefined;
/** protobufjs's compiled codecs (false: encodeMessage on the reflected schema). */
let compiled = true;

/**
 * Where there is no file system (the site's import worker), the caller hands
 * over onnx.proto's text (a `?raw` import) before the first encode.
 * `compiled: false`: protobufjs compiles its codecs with `Function`, which a
 * Content-Security-Policy without 'unsafe-eval' (the site's) forbids, so
 * encodeModel writes the same bytes from the reflected schema instead
 * (proto-reflect.ts).
 */
export function useOnnxProtoSource(source: string, opts: { compiled?: boolean } = {}): void {
  protoSource = source;
  compiled = opts.compiled ?? true;
  modelType = undefined;
}

/** The ModelProto type, parsed from onnx.proto once (a few milliseconds). */
function modelProto(): protobuf.Type {
  if (!modelType) {
    // No static node:fs import (and a file name bundlers do not copy as an
    // asset), so the browser bundle can take this module as it is.
    const file = "./onnx.proto";
    const source =
      protoSource ??
      process.getBuiltinModule("node:fs").readFileSync(new URL(file, import.meta.url), "utf8");
    modelType = protobuf.parse(source, { keepCase: true }).root.lookupType("onnx.ModelProto");
  }
  return modelType;
}

export function encodeModel(model: ModelProto): Uint8Array {
  const type = modelProto();
  if (!compiled) return encodeMessage(type, model as unknown as Record<string, unknown>).finish();
  const problem = type.verify(model);
  if (problem) throw new Error(`internal error: ONNX model does not match onnx.proto: ${problem}`);
  return type.encode(model).finish();
}

/**
 * Decode an ONNX file. Throws if the bytes are not a protobuf ModelProto
 * (truncated files fail here); the caller checks what the model contains.
 */
export function decodeModel(bytes: Uint8Array): ModelProto {
  const type = modelProto();
  const message = type.decode(bytes);
  return type.toObject(message, {
    longs: Number,
    enums: Number,
    defaults: true,
    arrays: true,
  }) as ModelProto;
}
