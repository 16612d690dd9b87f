/**
 * Reads a PyTorch checkpoint (`torch.save(state_dict)`) into named tensors,
 * without Python. Two containers:
 * - zip (PyTorch >= 1.6): `<name>/data.pkl` (pickle protocol 2) plus one
 *   entry per storage `<name>/data/<key>`; read with fflate;
 * - legacy (PyTorch 0.4-1.5): five pickles in a row (magic number, protocol
 *   version, system info, the object, the storage keys), then each storage
 *   as an int64 element count followed by its raw bytes.
 * Tensors: see tensors.ts.
 */
import { type UnzipFileInfo, unzipSync } from "fflate";
import { ByteReader } from "./bytes.ts";
import { type PickleEnv, PickleError, unpickle } from "./pickle.ts";
import {
  asStateDict,
  STORAGES,
  type Storage,
  type StoredTensor,
  storageFromPid,
  tensorEnv,
} from "./tensors.ts";

export type { StoredTensor } from "./tensors.ts";

const LEGACY_MAGIC = 0x1950a86a20f9469cfc6cn;
const LEGACY_PROTOCOL = 1001;

/** Smallest central-directory record: a zip cannot list more entries than this many fit. */
const ZIP_ENTRY_BYTES = 46;

/**
 * The zip's entries, copied out only as torch.save writes them: stored, not
 * compressed. Inflating would let a small file (a zip bomb) claim any amount
 * of memory; stored entries that together exceed the file overlap, so
 * copying them could too. Both are refused before anything is copied.
 */
function storedEntries(bytes: Uint8Array, label: string): Record<string, Uint8Array> {
  let refused = "";
  let entries = 0;
  let total = 0;
  const filter = (f: UnzipFileInfo): boolean => {
    total += f.size;
    if (f.compression !== 0)
      refused = `zip entry ${f.name} is compressed (method ${f.compression}); torch.save stores entries uncompressed`;
    else if (total > bytes.length)
      refused = `the zip entries add up to more than its ${bytes.length} bytes (overlapping entries)`;
    else if (++entries * ZIP_ENTRY_BYTES > bytes.length)
      refused = `the zip lists more entries than its ${bytes.length} bytes can hold`;
    // Throwing is the only way to stop fflate's loop over the claimed entries.
    if (refused) throw new Error(refused);
    return true;
  };
  try {
    return unzipSync(bytes, { filter });
  } catch (e) {
    if (refused) throw new Error(`${label}: not a readable PyTorch file: ${refused}`);
    throw new Error(
      `${label}: cannot read the zip container (${e instanceof Error ? e.message : e}): file truncated?`,
    );
  }
}

function readZip(bytes: Uint8Array, label: string): Map<string, StoredTensor> {
  const files = storedEntries(bytes, label);
  const pkl = Object.keys(files).filter((n) => n.endsWith("data.pkl"));
  if (pkl.length !== 1)
    throw new Error(`${label}: a PyTorch zip checkpoint has one data.pkl, found ${pkl.length}`);
  const prefix = (pkl[0] as string).slice(0, -"data.pkl".length);
  const order = files[`${prefix}byteorder`];
  if (order && new TextDecoder().decode(order).trim() !== "little")
    throw new Error(`${label}: big-endian checkpoints are not supported`);
  const storages = new Map<string, Storage>();
  const bytesOf = (s: Storage) => {
    const b = files[`${prefix}data/${s.key}`];
    if (!b) throw new Error(`storage data/${s.key} is missing from the zip`);
    return b;
  };
  const env = tensorEnv((pid) => storageFromPid(pid, storages), bytesOf);
  return asStateDict(unpickle(files[pkl[0] as string] as Uint8Array, env).value, label);
}

function readLegacy(bytes: Uint8Array, label: string): Map<string, StoredTensor> {
  const plain: PickleEnv = { allowed: new Set(), call: () => null };
  const magic = unpickle(bytes, plain);
  if (magic.value !== LEGACY_MAGIC)
    throw new Error(`${label} is not a PyTorch checkpoint (no magic number)`);
  const version = unpickle(bytes, plain, magic.end);
  if (version.value !== LEGACY_PROTOCOL)
    throw new Error(
      `${label}: legacy protocol ${String(version.value)} is not supported (expected ${LEGACY_PROTOCOL})`,
    );
  const info = unpickle(bytes, plain, version.end);
  if (info.value instanceof Map && info.value.get("little_endian") === false)
    throw new Error(`${label}: big-endian checkpoints are not supported`);
  const storages = new Map<string, Storage>();
  const data = new Map<string, Uint8Array>();
  const env = tensorEnv(
    (pid) => storageFromPid(pid, storages),
    (s) => {
      const b = data.get(s.key);
      if (!b) throw new Error(`storage ${s.key} is missing`);
      return b;
    },
  );
  const main = unpickle(bytes, env, info.end);
  const keys = unpickle(bytes, plain, main.end);
  if (!Array.isArray(keys.value)) throw new Error(`${label}: storage key list missing`);
  const r = new ByteReader(bytes, keys.end);
  for (const key of keys.value) {
    const s = storages.get(String(key));
    if (!s) throw new Error(`${label}: storage ${String(key)} is listed but never used`);
    data.set(s.key, legacyStorage(r, s, label));
  }
  return asStateDict(main.value, label);
}

/** One legacy storage: int64 element count, raw little-endian elements. */
function legacyStorage(r: ByteReader, s: Storage, label: string): Uint8Array {
  const cutOff = () => new Error(`${label}: storage ${s.key} is cut off: file truncated`);
  if (r.remaining < 8) throw cutOff();
  const count = r.i64();
  if (count < 0)
    throw new Error(
      `${label}: storage ${s.key} has a negative element count (${count}): file corrupt`,
    );
  const n = count * STORAGES[s.type].size;
  if (n > r.remaining) throw cutOff();
  return r.take(n);
}

/** Named tensors of a `torch.save`d state dict, zip or legacy format. */
export function readTorchFile(input: Uint8Array, label: string): Map<string, StoredTensor> {
  // A plain Uint8Array view (Node Buffers share pooled memory and slice without copying).
  const bytes = new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
  const startsWith = (sig: number[], at = 0) => sig.every((b, i) => bytes[at + i] === b);
  try {
    if (startsWith([0x50, 0x4b, 0x03, 0x04])) return readZip(bytes, label);
    if (startsWith([0x80]) && (bytes[1] ?? 99) <= 5) return readLegacy(bytes, label);
  } catch (e) {
    // Pickle and truncation errors gain the file name.
    if (e instanceof PickleError || e instanceof RangeError)
      throw new Error(`${label}: ${e.message}`);
    throw e;
  }
  if (startsWith([0x75, 0x73, 0x74, 0x61, 0x72], 257))
    throw new Error(
      `${label} is in the tar format of PyTorch < 0.1.10, which is not supported: re-save it with a newer PyTorch`,
    );
  throw new Error(`${label} is not a PyTorch checkpoint (neither a zip nor a pickle file)`);
}
