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
 *
 * onnx.proto is proto2: a field is present or absent, and a present field is
 * written even when it holds its default. onnxruntime and the checker read
 * that presence (an attribute must hold exactly the one value its type names),
 * so the result keeps it: a field is an own property only where the file has
 * it, and encodeModel writes the same bytes back (int64s as numbers: exact up
 * to 2^53). Readers still get defaults for absent scalars (0, "", empty
 * bytes): they sit on each message's prototype, as in protobufjs's message
 * classes, where the encoders, which look at own properties only, skip them.
 */
export function decodeModel(bytes: Uint8Array): ModelProto {
  const type = modelProto();
  const message = type.decode(bytes);
  const model = type.toObject(message, { longs: Number, enums: Number, arrays: true });
  return withDefaults(type, model) as unknown as ModelProto;
}

type Message = Record<string, unknown>;
/** The absent-field defaults of each message type, shared by all its messages. */
const defaultsOf = new WeakMap<protobuf.Type, Message>();

/** Gives `m` and the messages inside it their type's defaults as prototype. */
function withDefaults(type: protobuf.Type, m: Message): Message {
  let defaults = defaultsOf.get(type);
  if (!defaults) {
    defaults = {};
    for (const field of type.fieldsArray) {
      field.resolve();
      // Scalars only, and none of a oneof's (a Dimension is dim_value or dim_param, not both).
      const message = field.resolvedType instanceof protobuf.Type;
      if (field.repeated || field.map || field.partOf || message) continue;
      // onnx.proto sets no [default = ...]; int64s decode as numbers (longs: Number).
      defaults[field.name] = field.bytes ? new Uint8Array(0) : field.long ? 0 : field.typeDefault;
    }
    defaultsOf.set(type, defaults);
  }
  Object.setPrototypeOf(m, defaults);
  for (const field of type.fieldsArray) {
    const sub = field.resolvedType;
    const value = m[field.name];
    if (!(sub instanceof protobuf.Type) || !Object.hasOwn(m, field.name)) continue;
    for (const item of field.repeated ? (value as Message[]) : [value as Message])
      withDefaults(sub, item);
  }
  return m;
}
