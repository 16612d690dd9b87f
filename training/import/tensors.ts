/**
 * What the pickled state dict refers to: storages (by persistent id) and
 * tensors rebuilt from (storage, offset, size, stride), so views and shared
 * storages read correctly; float16/bfloat16/float64 become float32 on demand.
 */
/// <reference lib="esnext.float16" />
import { Global, opaque, type PickleEnv, PickleError, type PickleValue, Tuple } from "./pickle.ts";

/** Storage element types by class name, with their size in bytes. */
export const STORAGES = {
  FloatStorage: { dtype: "float32", size: 4 },
  HalfStorage: { dtype: "float16", size: 2 },
  BFloat16Storage: { dtype: "bfloat16", size: 2 },
  DoubleStorage: { dtype: "float64", size: 8 },
  LongStorage: { dtype: "int64", size: 8 },
  IntStorage: { dtype: "int32", size: 4 },
  ShortStorage: { dtype: "int16", size: 2 },
  CharStorage: { dtype: "int8", size: 1 },
  ByteStorage: { dtype: "uint8", size: 1 },
  BoolStorage: { dtype: "bool", size: 1 },
} as const;
type StorageName = keyof typeof STORAGES;

const ALLOWED = new Set([
  "collections.OrderedDict",
  "torch._utils._rebuild_tensor",
  "torch._utils._rebuild_tensor_v2",
  "torch._utils._rebuild_parameter",
  ...Object.keys(STORAGES).map((s) => `torch.${s}`),
]);

export interface Storage {
  [opaque]: "storage";
  type: StorageName;
  key: string;
  /** Element offset into the root storage (legacy views), else 0. */
  viewOffset: number;
  numel: number;
}

/** A tensor as stored: a strided window on a storage; `toFloat32` copies it out densely. */
export interface StoredTensor {
  [opaque]: "tensor";
  dtype: string;
  shape: number[];
  toFloat32(): Float32Array;
}

const ints = (v: PickleValue, what: string): number[] => {
  const items = v instanceof Tuple ? v.items : Array.isArray(v) ? v : null;
  if (!items?.every((x) => typeof x === "number"))
    throw new PickleError(`tensor ${what} is not a tuple of integers`);
  return items as number[];
};

function decodeElements(type: StorageName, bytes: Uint8Array): Float32Array {
  // Copy first: entries inside a zip are not aligned for typed-array views.
  const buf = new Uint8Array(bytes).buffer;
  switch (type) {
    case "FloatStorage":
      return new Float32Array(buf);
    case "HalfStorage":
      return Float32Array.from(new Float16Array(buf));
    case "DoubleStorage":
      return Float32Array.from(new Float64Array(buf));
    case "BFloat16Storage": {
      // bfloat16 is the top half of a float32.
      const half = new Uint16Array(buf);
      const out = new Uint32Array(half.length);
      for (let i = 0; i < half.length; i++) out[i] = (half[i] as number) << 16;
      return new Float32Array(out.buffer);
    }
    default:
      throw new Error(`a ${type} tensor cannot be used as float weights`);
  }
}

function makeTensor(
  storage: PickleValue,
  offset: PickleValue,
  size: PickleValue,
  stride: PickleValue,
  bytesOf: (s: Storage) => Uint8Array,
): StoredTensor {
  const s = storage as Storage;
  if (typeof storage !== "object" || storage === null || s[opaque] !== "storage")
    throw new PickleError("tensor rebuilt from something that is not a storage");
  if (typeof offset !== "number") throw new PickleError("tensor storage offset is not an integer");
  const shape = ints(size, "size");
  const strides = ints(stride, "stride");
  const info = STORAGES[s.type];
  return {
    [opaque]: "tensor",
    dtype: info.dtype,
    shape,
    toFloat32() {
      const n = shape.reduce((a, b) => a * b, 1);
      let last = s.viewOffset + offset;
      for (const [i, d] of shape.entries()) last += (d - 1) * (strides[i] ?? 0);
      if (n > 0 && (last >= s.viewOffset + s.numel || s.viewOffset + offset < 0))
        throw new Error(
          `tensor of shape [${shape}] reaches past its storage (${s.numel} elements): file corrupt`,
        );
      const bytes = bytesOf(s);
      if (bytes.length < (s.viewOffset + s.numel) * info.size)
        throw new Error(
          `storage ${s.key} holds ${bytes.length} bytes, needs ${(s.viewOffset + s.numel) * info.size}: file truncated?`,
        );
      const all = decodeElements(s.type, bytes);
      const out = new Float32Array(n);
      // Walk the strided view in row-major order.
      const index = new Array<number>(shape.length).fill(0);
      let src = s.viewOffset + offset;
      for (let k = 0; k < n; k++) {
        out[k] = all[src] as number;
        for (let d = shape.length - 1; d >= 0; d--) {
          src += strides[d] as number;
          if (++(index[d] as number) < (shape[d] as number)) break;
          src -= (shape[d] as number) * (strides[d] as number);
          index[d] = 0;
        }
      }
      return out;
    },
  };
}

export function tensorEnv(
  persistentLoad: (pid: PickleValue) => PickleValue,
  bytesOf: (s: Storage) => Uint8Array,
): PickleEnv {
  return {
    allowed: ALLOWED,
    persistentLoad,
    call(fn, args) {
      switch (fn.qualified) {
        case "collections.OrderedDict":
          return new Map();
        case "torch._utils._rebuild_tensor":
        case "torch._utils._rebuild_tensor_v2":
          return makeTensor(
            args[0] ?? null,
            args[1] ?? null,
            args[2] ?? null,
            args[3] ?? null,
            bytesOf,
          );
        case "torch._utils._rebuild_parameter":
          return args[0] ?? null;
        default:
          throw new PickleError(`${fn.qualified} cannot be called`);
      }
    },
  };
}

/** ('storage', torch.FloatStorage, key, location, numel[, view_metadata]) -> Storage. */
export function storageFromPid(pid: PickleValue, storages: Map<string, Storage>): Storage {
  const t = pid instanceof Tuple ? pid.items : [];
  const [tag, type, key, , numel, view] = t;
  if (
    tag !== "storage" ||
    !(type instanceof Global) ||
    typeof key !== "string" ||
    typeof numel !== "number"
  )
    throw new PickleError("persistent id is not a tensor storage");
  const name = type.name as StorageName;
  if (!(name in STORAGES)) throw new PickleError(`unknown storage type ${type.qualified}`);
  const root = storages.get(key) ?? {
    [opaque]: "storage" as const,
    type: name,
    key,
    viewOffset: 0,
    numel,
  };
  storages.set(key, root);
  if (!(view instanceof Tuple)) return root;
  // Legacy view: (view_key, offset, size) into the root storage.
  const [, offset, size] = view.items;
  if (typeof offset !== "number" || typeof size !== "number")
    throw new PickleError("bad storage view");
  return { ...root, viewOffset: offset, numel: size };
}

export function asStateDict(value: PickleValue, label: string): Map<string, StoredTensor> {
  if (!(value instanceof Map))
    throw new Error(`${label} does not hold a state dict (a dict of tensors)`);
  const out = new Map<string, StoredTensor>();
  for (const [k, v] of value) {
    const t = v as StoredTensor;
    if (typeof k !== "string" || typeof v !== "object" || v === null || t[opaque] !== "tensor")
      throw new Error(
        `${label}: entry ${String(k)} is not a tensor; a generator state dict holds only tensors`,
      );
    out.set(k, t);
  }
  return out;
}
