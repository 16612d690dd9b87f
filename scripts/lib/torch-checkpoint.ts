/**
 * A state dict written the way torch.save (PyTorch >= 1.6) lays it out: a zip
 * of stored entries, `archive/data.pkl` (a protocol-2 pickle of an
 * OrderedDict of `_rebuild_tensor_v2(storage, 0, size, stride)`) and one
 * `archive/data/<key>` of float32 bytes per tensor. For benchmarks that need a
 * reference-size .pth (45 MB for ngf 64 / 9 blocks) without Python: the tests'
 * fixtures come from tests/import/torch_save.py (Python's own pickler).
 */
import { zipSync } from "fflate";

const enc = new TextEncoder();

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

const u32 = (op: number, v: number) => {
  const b = new Uint8Array(5);
  b[0] = op;
  new DataView(b.buffer).setUint32(1, v, true);
  return b;
};
/** BININT (0x4a) for non-negative ints below 2^31, BINUNICODE (0x58) for strings. */
const int = (v: number) => u32(0x4a, v);
const str = (s: string) => {
  const utf8 = enc.encode(s);
  return concat([u32(0x58, utf8.length), utf8]);
};
const global = (module: string, name: string) => enc.encode(`c${module}\n${name}\n`);
const tuple = (items: Uint8Array[]) => concat([Uint8Array.of(0x28), ...items, Uint8Array.of(0x74)]);

function tensor(shape: readonly number[], key: string, numel: number): Uint8Array {
  const stride = shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
  const storage = concat([
    tuple([str("storage"), global("torch", "FloatStorage"), str(key), str("cpu"), int(numel)]),
    Uint8Array.of(0x51), // BINPERSID
  ]);
  return concat([
    global("torch._utils", "_rebuild_tensor_v2"),
    tuple([storage, int(0), tuple(shape.map(int)), tuple(stride.map(int))]),
    Uint8Array.of(0x52), // REDUCE
  ]);
}

export function torchZip(
  weights: ReadonlyMap<string, { shape: readonly number[]; data: Float32Array }>,
): Uint8Array {
  const entries: Record<string, Uint8Array> = {};
  const items: Uint8Array[] = [];
  for (const [i, [name, w]] of [...weights].entries()) {
    items.push(str(name), tensor(w.shape, String(i), w.data.length), Uint8Array.of(0x73)); // SETITEM
    entries[`archive/data/${i}`] = new Uint8Array(
      w.data.buffer,
      w.data.byteOffset,
      w.data.byteLength,
    );
  }
  const dict = concat([global("collections", "OrderedDict"), Uint8Array.of(0x29, 0x52)]); // () REDUCE
  entries["archive/data.pkl"] = concat([
    Uint8Array.of(0x80, 0x02),
    dict,
    ...items,
    Uint8Array.of(0x2e),
  ]);
  entries["archive/byteorder"] = enc.encode("little");
  return zipSync(entries, { level: 0 });
}
