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

/**
 * A tensor as stored: a strided window on a storage; `toFloat32` copies it
 * out densely (its errors name neither file nor key: the caller knows them).
 */
export interface StoredTensor {
  [opaque]: "tensor";
  dtype: string;
  shape: number[];
  toFloat32(): Float32Array;
}

/** Sizes, strides, offsets and element counts index storages: only safe non-negative integers may. */
const isIndex = (x: unknown): x is number => Number.isSafeInteger(x) && (x as number) >= 0;

const indices = (v: PickleValue, what: string): number[] => {
  const items = v instanceof Tuple ? v.items : Array.isArray(v) ? v : null;
  if (!items?.every(isIndex))
    throw new PickleError(`tensor ${what} is not a tuple of non-negative integers`);
  return items as number[];
};

function decodeElements(type: StorageName, bytes: Uint8Array): Float32Array {
  // Copy first: entries inside a zip are not aligned for typed-array views.
  // Whole elements only: a corrupt length must not fail the typed-array view.
  const size = STORAGES[type].size;
  const buf = new Uint8Array(bytes.subarray(0, bytes.length - (bytes.length % size))).buffer;
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

/**
 * Refuses a layout that reads outside its storage or more elements than it
 * holds: a stride of 0 (or overlapping strides) would let a tiny storage
 * stand for a tensor of any size, and memory with it.
 */
function checkLayout(s: Storage, offset: number, shape: number[], strides: number[]): void {
  if (strides.length !== shape.length)
    throw new PickleError(`tensor has ${shape.length} sizes but ${strides.length} strides`);
  const n = shape.reduce((a, b) => a * b, 1);
  if (n === 0) return;
  const repeated = shape.findIndex((d, i) => d > 1 && strides[i] === 0);
  if (repeated >= 0) {
    const d = shape[repeated];
    throw new PickleError(
      `tensor of shape [${shape}] has stride 0 on a dimension of ${d} (one element read ${d} times): file corrupt`,
    );
  }
  if (n > s.numel)
    throw new PickleError(
      `tensor of shape [${shape}] has ${n} elements, more than its storage (${s.numel}): file corrupt`,
    );
  const last = shape.reduce((at, d, i) => at + (d - 1) * (strides[i] as number), offset);
  if (last >= s.numel)
    throw new PickleError(
      `tensor of shape [${shape}] reaches past its storage (${s.numel} elements): file corrupt`,
    );
}

/** The strided view starting at `start`, copied out in row-major order. */
function gather(
  all: Float32Array,
  start: number,
  shape: number[],
  strides: number[],
): Float32Array {
  const out = new Float32Array(shape.reduce((a, b) => a * b, 1));
  const index = new Array<number>(shape.length).fill(0);
  let src = start;
  for (let k = 0; k < out.length; k++) {
    out[k] = all[src] as number;
    for (let d = shape.length - 1; d >= 0; d--) {
      src += strides[d] as number;
      if (++(index[d] as number) < (shape[d] as number)) break;
      src -= (shape[d] as number) * (strides[d] as number);
      index[d] = 0;
    }
  }
  return out;
}

function makeTensor(
  storage: PickleValue,
  offset: PickleValue,
  size: PickleValue,
  stride: PickleValue,
  elementsOf: (s: Storage) => Float32Array,
): StoredTensor {
  const s = storage as Storage;
  if (typeof storage !== "object" || storage === null || s[opaque] !== "storage")
    throw new PickleError("tensor rebuilt from something that is not a storage");
  if (!isIndex(offset))
    throw new PickleError(`tensor storage offset ${String(offset)} is not a non-negative integer`);
  const shape = indices(size, "size");
  const strides = indices(stride, "stride");
  checkLayout(s, offset, shape, strides);
  return {
    [opaque]: "tensor",
    dtype: STORAGES[s.type].dtype,
    shape,
    toFloat32() {
      const all = elementsOf(s);
      if (all.length < s.viewOffset + s.numel)
        throw new Error(
          `storage ${s.key} holds ${all.length} elements, needs ${s.viewOffset + s.numel}: file truncated?`,
        );
      return gather(all, s.viewOffset + offset, shape, strides);
    },
  };
}

export function tensorEnv(
  persistentLoad: (pid: PickleValue) => PickleValue,
  bytesOf: (s: Storage) => Uint8Array,
): PickleEnv {
  // Storages shared by several tensors (views) are decoded once, by key.
  const decoded = new Map<string, Float32Array>();
  const elementsOf = (s: Storage) => {
    const cached = decoded.get(s.key);
    if (cached) return cached;
    const all = decodeElements(s.type, bytesOf(s));
    decoded.set(s.key, all);
    return all;
  };
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
            elementsOf,
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
  if (tag !== "storage" || !(type instanceof Global) || typeof key !== "string")
    throw new PickleError("persistent id is not a tensor storage");
  if (!isIndex(numel))
    throw new PickleError(`storage ${key} claims ${String(numel)} elements: file corrupt`);
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
  if (!isIndex(offset) || !isIndex(size) || offset + size > root.numel)
    throw new PickleError(`storage view of ${key} does not lie inside it: file corrupt`);
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
