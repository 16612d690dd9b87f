/**
 * The safetensors file format (https://github.com/huggingface/safetensors):
 * 8 bytes little-endian header length N, N bytes of JSON
 * `{ name: { dtype: "F32", shape, data_offsets: [begin, end] }, __metadata__: { string: string } }`,
 * then the raw little-endian tensor bytes. Chosen because it is documented,
 * has no code execution (unlike pickle) and loads in Python with
 * `safetensors.torch.load_file`. Only float32 tensors are written here.
 *
 * Writes are atomic: a temp file in the same folder, fsync, rename. A process
 * killed mid-write leaves only a `*.tmp-*` file that readers never look at.
 */
import { randomBytes } from "node:crypto";
import { open, rename, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

if (os.endianness() !== "LE") throw new Error("safetensors I/O here assumes a little-endian CPU");

export interface TensorData {
  shape: number[];
  data: Float32Array;
}

/** A tensor to write; its data is fetched only when its turn comes, to keep memory flat. */
export interface TensorSource {
  name: string;
  shape: number[];
  data: () => Promise<Float32Array> | Float32Array;
}

interface HeaderEntry {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

export interface SafetensorsHeader {
  tensors: Map<string, HeaderEntry>;
  metadata: Record<string, string>;
  /** Byte offset of the data section in the file. */
  dataStart: number;
  /** Which file was read (device, inode, size, mtime): readTensors refuses another one. */
  identity: string;
}

const identityOf = (st: { dev: number; ino: number; size: number; mtimeMs: number }) =>
  `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}`;

const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

export function isTempFile(name: string): boolean {
  return /\.tmp-[0-9a-f]+$/.test(name);
}

/** Writes `file` atomically; returns its size in bytes. */
export async function writeSafetensors(
  file: string,
  tensors: TensorSource[],
  metadata: Record<string, string>,
): Promise<number> {
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const t of tensors) {
    if (t.name === "__metadata__" || t.name in header)
      throw new Error(`duplicate tensor ${t.name}`);
    const bytes = size(t.shape) * 4;
    header[t.name] = { dtype: "F32", shape: t.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = JSON.stringify(header);
  json += " ".repeat((8 - (Buffer.byteLength(json) % 8)) % 8); // the format pads with spaces
  const headerBytes = Buffer.from(json, "utf8");
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(headerBytes.length));

  const tmp = `${file}.tmp-${randomBytes(4).toString("hex")}`;
  try {
    // A file handle, not a stream: a failed write (disk full) rejects here instead of
    // surfacing as an unhandled stream error that ends the process.
    const fh = await open(tmp, "w");
    try {
      const write = async (b: Uint8Array) => {
        for (let done = 0; done < b.length; )
          done += (await fh.write(b, done, b.length - done)).bytesWritten;
      };
      await write(prefix);
      await write(headerBytes);
      for (const t of tensors) {
        const data = await t.data();
        if (data.length !== size(t.shape))
          throw new Error(`tensor ${t.name} has ${data.length} values, shape [${t.shape}]`);
        await write(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
      }
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, file);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
  await syncDir(path.dirname(file));
  return prefix.length + headerBytes.length + offset;
}

/** Make a rename durable (best effort: some file systems refuse to fsync folders). */
export async function syncDir(dir: string): Promise<void> {
  try {
    const fh = await open(dir, "r");
    await fh.sync().finally(() => fh.close());
  } catch {
    // not supported here; the rename itself is still atomic
  }
}

export async function readHeader(file: string): Promise<SafetensorsHeader> {
  const fh = await open(file, "r");
  try {
    const st = await fh.stat();
    const fileSize = st.size;
    const bad = (why: string) => new Error(`${file} is not a readable checkpoint file: ${why}`);
    if (fileSize < 8) throw bad("shorter than 8 bytes");
    const prefix = Buffer.alloc(8);
    await fh.read(prefix, 0, 8, 0);
    const n = Number(prefix.readBigUInt64LE());
    if (n > fileSize - 8 || n > 100 * 2 ** 20) throw bad(`header length ${n} is out of range`);
    const buf = Buffer.alloc(n);
    await fh.read(buf, 0, n, 8);
    let parsed: Record<string, unknown>;
    try {
      parsed = JSON.parse(buf.toString("utf8"));
    } catch {
      throw bad("header is not JSON");
    }
    const tensors = new Map<string, HeaderEntry>();
    const dataStart = 8 + n;
    for (const [name, v] of Object.entries(parsed)) {
      if (name === "__metadata__") continue;
      const e = v as HeaderEntry;
      const [b, end] = e.data_offsets ?? [];
      if (e.dtype !== "F32") throw bad(`tensor ${name} has dtype ${e.dtype}; only F32 is read`);
      if (b === undefined || end === undefined || end - b !== size(e.shape) * 4)
        throw bad(`tensor ${name} has inconsistent offsets`);
      if (dataStart + end > fileSize) throw bad(`truncated (tensor ${name} ends past the file)`);
      tensors.set(name, e);
    }
    return {
      tensors,
      metadata: (parsed.__metadata__ ?? {}) as Record<string, string>,
      dataStart,
      identity: identityOf(st),
    };
  } finally {
    await fh.close();
  }
}

/**
 * Read the named tensors (all of them when `names` is omitted) from the file
 * `header` came from. A running trainer replaces `latest` by rename between
 * the two reads; the old header's offsets would then scramble the new file's
 * weights, so a different file is an error.
 */
export async function readTensors(
  file: string,
  header: SafetensorsHeader,
  names: Iterable<string> = header.tensors.keys(),
): Promise<Map<string, TensorData>> {
  const out = new Map<string, TensorData>();
  const fh = await open(file, "r");
  try {
    if (identityOf(await fh.stat()) !== header.identity)
      throw new Error(
        `${file} was replaced while it was being read (a training run saved a new checkpoint); run the command again`,
      );
    for (const name of names) {
      const e = header.tensors.get(name);
      if (!e) throw new Error(`${file} has no tensor ${name}`);
      const [b, end] = e.data_offsets;
      const data = new Float32Array((end - b) / 4);
      const bytes = new Uint8Array(data.buffer);
      for (let done = 0; done < bytes.length; ) {
        const { bytesRead } = await fh.read(
          bytes,
          done,
          bytes.length - done,
          header.dataStart + b + done,
        );
        if (bytesRead === 0) throw new Error(`${file} is truncated (in tensor ${name})`);
        done += bytesRead;
      }
      out.set(name, { shape: e.shape, data });
    }
  } finally {
    await fh.close();
  }
  return out;
}
