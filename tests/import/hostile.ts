/**
 * Test-only: corrupt or hostile checkpoints built byte by byte, with what
 * torch_save.py cannot write: a hand-assembled protocol-2 state-dict pickle
 * whose tensor offsets, sizes, strides and storage sizes are taken as given,
 * zipped by fflate (stored, or deflated to play a zip bomb).
 */
import { zipSync } from "fflate";

export interface RawTensor {
  name: string;
  size: number[];
  /** Row-major strides when left out. */
  stride?: number[];
  offset?: number;
  /** Storage key; tensors with the same key share one storage (the first one's values). */
  key?: string;
  /** The storage's element count in the pickle; values.length when left out. */
  numel?: number;
  /** The storage's float32 elements as written to the zip. */
  values: number[];
}

export function concat(...parts: (Uint8Array | number[])[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function withView(op: number, length: number, write: (v: DataView) => void): Uint8Array {
  const b = new Uint8Array(1 + length);
  b[0] = op;
  write(new DataView(b.buffer, 1));
  return b;
}

/** BININT for 32-bit integers, else BINFLOAT (so fractions and huge values pickle as-is). */
const num = (v: number) =>
  Number.isInteger(v) && Math.abs(v) < 2 ** 31
    ? withView(0x4a, 4, (d) => d.setInt32(0, v, true))
    : withView(0x47, 8, (d) => d.setFloat64(0, v, false));

const str = (s: string) => {
  const utf8 = new TextEncoder().encode(s);
  return concat(
    withView(0x58, 4, (d) => d.setUint32(0, utf8.length, true)),
    utf8,
  );
};

const global = (module: string, name: string) =>
  concat([0x63], new TextEncoder().encode(`${module}\n${name}\n`));

const tuple = (...items: Uint8Array[]) => concat([0x28], ...items, [0x74]);

const rowMajor = (size: number[]) =>
  size.map((_, i) => size.slice(i + 1).reduce((a, b) => a * b, 1));

/** `_rebuild_tensor_v2(persistent storage, offset, size, stride)` for one tensor. */
function tensorPickle(t: RawTensor, key: string): Uint8Array {
  const storage = concat(
    tuple(
      str("storage"),
      global("torch", "FloatStorage"),
      str(key),
      str("cpu"),
      num(t.numel ?? t.values.length),
    ),
    [0x51], // BINPERSID
  );
  return concat(
    global("torch._utils", "_rebuild_tensor_v2"),
    tuple(
      storage,
      num(t.offset ?? 0),
      tuple(...t.size.map(num)),
      tuple(...(t.stride ?? rowMajor(t.size)).map(num)),
    ),
    [0x52], // REDUCE
  );
}

/** A protocol-2 pickle of a dict {name: tensor}. */
export function statePickle(tensors: RawTensor[]): Uint8Array {
  const items = tensors.map((t, i) =>
    concat(str(t.name), tensorPickle(t, t.key ?? String(i)), [0x73]),
  );
  return concat([0x80, 0x02, 0x7d], ...items, [0x2e]);
}

/** A zip checkpoint as torch.save lays it out; `level` > 0 deflates every entry. */
export function zipCheckpoint(tensors: RawTensor[], level: 0 | 6 = 0): Uint8Array {
  const entries: Record<string, Uint8Array> = {
    "archive/data.pkl": statePickle(tensors),
    "archive/byteorder": new TextEncoder().encode("little"),
  };
  for (const [i, t] of tensors.entries()) {
    const name = `archive/data/${t.key ?? i}`;
    entries[name] ??= new Uint8Array(Float32Array.from(t.values).buffer);
  }
  return zipSync(entries, { level });
}

/**
 * A 128-byte zip whose zip64 end record claims 2^32 - 1 entries (each read
 * as an empty stored file past the end).
 */
export function zipClaimingEntries(): Uint8Array {
  const b = new Uint8Array(128);
  const v = new DataView(b.buffer);
  v.setUint32(0, 0x04034b50, true); // a local header signature, as PyTorch zips start
  v.setUint32(30, 0x06064b50, true); // zip64 end of central directory record
  v.setUint32(30 + 32, 0xffffffff, true); // entry count
  v.setUint32(86, 0x07064b50, true); // zip64 locator, pointing at offset 30
  v.setUint32(86 + 8, 30, true);
  v.setUint32(106, 0x06054b50, true); // end of central directory
  v.setUint16(106 + 8, 0xffff, true);
  v.setUint16(106 + 10, 0xffff, true);
  return b;
}

/** Points every central-directory entry of `zip` at the whole file (overlapping entries). */
export function overlapEntries(zip: Uint8Array): Uint8Array {
  const out = new Uint8Array(zip);
  const v = new DataView(out.buffer);
  for (let at = 0; at + 46 <= out.length; at++)
    if (v.getUint32(at, true) === 0x02014b50) {
      v.setUint32(at + 20, out.length, true); // compressed size
      v.setUint32(at + 24, out.length, true); // uncompressed size
      v.setUint32(at + 42, 0, true); // local header offset
    }
  return out;
}
