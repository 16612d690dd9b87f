/**
 * Corrupt and hostile checkpoints: each must end in an Error that names the
 * problem, never an endless loop, a crash or memory out of proportion to the
 * file.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { unpickle } from "../../training/import/pickle.ts";
import { generatorFromStateDict } from "../../training/import/state-dict.ts";
import {
  type Storage,
  type StoredTensor,
  storageFromPid,
  tensorEnv,
} from "../../training/import/tensors.ts";
import { readTorchFile } from "../../training/import/torch-file.ts";
import { randomTensors, referenceShapes, writeCheckpoint } from "./checkpoints.ts";
import {
  concat,
  overlapEntries,
  type RawTensor,
  statePickle,
  zipCheckpoint,
  zipClaimingEntries,
} from "./hostile.ts";

const dir = mkdtempSync(path.join(os.tmpdir(), "import-hostile-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const read = (bytes: Uint8Array) => readTorchFile(bytes, "bad.pth");
/** Reads the file and every tensor's weights. */
const readAll = (bytes: Uint8Array) => [...read(bytes).values()].map((t) => t.toFloat32());
const int64 = (v: bigint) => {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigInt64(0, v, true);
  return b;
};

describe("hostile pickles", () => {
  it("a negative or huge BINUNICODE8 length is an error, not an endless loop", () => {
    // PROTO 2, NONE, POP, BINUNICODE8 of length -10: jumped back to the POP forever.
    const loop = Uint8Array.from([0x80, 2, 0x4e, 0x30, 0x8d, ...int64(-10n)]);
    expect(loop.length).toBe(13);
    expect(() => read(loop)).toThrow(/bad\.pth: bad length -10 at offset 13: file corrupt/);
    const huge = concat([0x80, 2, 0x8d], int64(2n ** 53n + 1n));
    expect(() => read(huge)).toThrow(/bad\.pth: int64 9007199254740993 .*out of range/);
  });

  it("a legacy storage with a negative element count is an error", () => {
    const file = path.join(dir, "legacy.pth");
    writeCheckpoint(file, "legacy", randomTensors([["model.1.bias", [2]]], 1));
    const bytes = new Uint8Array(readFileSync(file));
    // The file ends with the one storage: int64 count 2, then 8 bytes.
    expect(new DataView(bytes.buffer).getBigInt64(bytes.length - 16, true)).toBe(2n);
    bytes.set(int64(-1n), bytes.length - 16);
    expect(() => read(bytes)).toThrow(/bad\.pth: storage 0 has a negative element count \(-1\)/);
  });

  it("refuses integers longer than 16 bytes (quadratic to build) and survives huge MARK lists", () => {
    const long4 = concat(
      [0x80, 2, 0x8b],
      new Uint8Array(new Uint32Array([1_000_000]).buffer),
      new Uint8Array(1_000_000).fill(0x7f),
      [0x2e],
    );
    expect(() => read(long4)).toThrow(
      /bad\.pth: a pickled integer of 1000000 bytes is too long for a state dict \(16 at most\)/,
    );
    const long1 = concat([0x80, 2, 0x8a, 17], new Uint8Array(17), [0x2e]);
    expect(() => read(long1)).toThrow(/integer of 17 bytes is too long/);
    // [None] * 500000 via EMPTY_LIST MARK NONE... APPENDS: as many items as bytes.
    const list = concat([0x80, 2, 0x5d, 0x28], new Uint8Array(500_000).fill(0x4e), [0x65, 0x2e]);
    expect(() => read(list)).toThrow(/bad\.pth is not a PyTorch checkpoint \(no magic number\)/);
  });
});

describe("hostile tensor layouts", () => {
  const one = (t: Partial<RawTensor>): RawTensor[] => [
    { name: "w", size: [4, 3], values: [1, 2, 3], ...t },
  ];

  it("refuses stride 0 and more elements than the storage holds", () => {
    // 12 elements from a 3-element storage, by repeating a row.
    expect(() => read(zipCheckpoint(one({ stride: [0, 1] })))).toThrow(
      /bad\.pth: tensor of shape \[4,3\] has stride 0 on a dimension of 4 \(one element read 4 times\): file corrupt/,
    );
    // Overlapping rows: 9 elements inside a 5-element storage.
    const overlap = one({ size: [3, 3], stride: [1, 1], values: [1, 2, 3, 4, 5] });
    expect(() => read(zipCheckpoint(overlap))).toThrow(
      /bad\.pth: tensor of shape \[3,3\] has 9 elements, more than its storage \(5\): file corrupt/,
    );
    // Size 1 dimensions may have any stride, including 0 (as PyTorch writes them).
    const ok = one({ size: [1, 3], stride: [0, 1] });
    expect(readAll(zipCheckpoint(ok))).toEqual([Float32Array.from([1, 2, 3])]);
  });

  it("refuses negative or fractional sizes, strides and offsets", () => {
    const cases: [Partial<RawTensor>, RegExp][] = [
      [{ size: [3], stride: [-1] }, /tensor stride is not a tuple of non-negative integers/],
      [{ size: [2], stride: [0.5] }, /tensor stride is not a tuple of non-negative integers/],
      [{ size: [-1, 3] }, /tensor size is not a tuple of non-negative integers/],
      [{ size: [1.5] }, /tensor size is not a tuple of non-negative integers/],
      [{ size: [2], offset: 0.5 }, /tensor storage offset 0.5 is not a non-negative integer/],
      [{ size: [2], offset: -1 }, /tensor storage offset -1 is not a non-negative integer/],
      [{ size: [2], numel: -3 }, /storage 0 claims -3 elements/],
      [{ size: [2], stride: [1, 1] }, /tensor has 1 sizes but 2 strides/],
    ];
    for (const [t, message] of cases) expect(() => readAll(zipCheckpoint(one(t)))).toThrow(message);
  });

  it("decodes a shared storage once, not once per tensor", () => {
    const tensors: RawTensor[] = [0, 1, 2].map((i) => ({
      name: `t${i}`,
      size: [2],
      offset: i,
      key: "shared",
      values: [1, 2, 3, 4],
    }));
    const storages = new Map<string, Storage>();
    let reads = 0;
    const env = tensorEnv(
      (pid) => storageFromPid(pid, storages),
      () => {
        reads++;
        return new Uint8Array(Float32Array.from([1, 2, 3, 4]).buffer);
      },
    );
    const dict = unpickle(statePickle(tensors), env).value as Map<string, StoredTensor>;
    expect([...dict.values()].map((t) => [...t.toFloat32()])).toEqual([
      [1, 2],
      [2, 3],
      [3, 4],
    ]);
    expect(reads).toBe(1);
  });

  it("names the file and the key when a tensor's storage is short", () => {
    const tensors = randomTensors(referenceShapes(1, 6), 2).map(
      (t): RawTensor => ({ name: t.name, size: t.shape, values: t.values }),
    );
    const bias = tensors.find((t) => t.name === "model.1.bias") as RawTensor;
    bias.numel = 3; // its 1-element storage claims 3
    expect(() => generatorFromStateDict(read(zipCheckpoint(tensors)), "bad.pth")).toThrow(
      /bad\.pth: model\.1\.bias: storage \d+ holds 1 elements, needs 3: file truncated\?/,
    );
  });

  it("refuses ngf outside 1..256 before reading any weights", () => {
    let reads = 0;
    const fake = (shape: number[]): StoredTensor =>
      ({
        dtype: "float32",
        shape,
        toFloat32() {
          reads++;
          return new Float32Array(0);
        },
      }) as StoredTensor;
    for (const ngf of [300, 0]) {
      const dict = new Map(referenceShapes(ngf, 6).map(([k, shape]) => [k, fake(shape)]));
      expect(() => generatorFromStateDict(dict, "big.pth")).toThrow(
        new RegExp(
          `big\\.pth: model\\.1\\.weight \\[${ngf},3,7,7\\] gives ngf ${ngf}, outside 1\\.\\.256`,
        ),
      );
    }
    expect(reads).toBe(0);
  });
});

describe("hostile zip containers", () => {
  const tensors = [{ name: "w", size: [2], values: [1, 2] }];

  it("refuses compressed entries (zip bombs): torch.save stores them", () => {
    expect(readAll(zipCheckpoint(tensors))).toEqual([Float32Array.from([1, 2])]);
    expect(() => read(zipCheckpoint(tensors, 6))).toThrow(
      /bad\.pth: not a readable PyTorch file: zip entry archive\/data\.pkl is compressed \(method 8\); torch\.save stores entries uncompressed/,
    );
  });

  it("refuses entries that overlap and more entries than the file can hold", () => {
    expect(() => read(overlapEntries(zipCheckpoint(tensors)))).toThrow(
      /bad\.pth: not a readable PyTorch file: the zip entries add up to more than its \d+ bytes/,
    );
    expect(() => read(zipClaimingEntries())).toThrow(
      /bad\.pth: not a readable PyTorch file: the zip lists more entries than its 128 bytes can hold/,
    );
  });
});
