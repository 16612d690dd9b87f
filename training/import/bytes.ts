/**
 * Sequential little-endian reads with bounds checks that say "truncated".
 * Lengths come from the file: a negative one would move backwards (a pickle
 * that loops forever), so only safe non-negative integers are taken.
 */
export class ByteReader {
  pos: number;
  private readonly bytes: Uint8Array;
  private readonly view: DataView;
  private readonly latin1 = new TextDecoder("latin1");

  constructor(bytes: Uint8Array, pos = 0) {
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.pos = pos;
  }

  get remaining(): number {
    return this.bytes.length - this.pos;
  }

  private advance(n: number): number {
    if (!Number.isSafeInteger(n) || n < 0)
      throw new RangeError(`bad length ${n} at offset ${this.pos}: file corrupt`);
    if (n > this.remaining)
      throw new RangeError(
        `data ends early (needed ${n} bytes at offset ${this.pos}): file truncated?`,
      );
    const at = this.pos;
    this.pos += n;
    return at;
  }

  u8(): number {
    return this.bytes[this.advance(1)] as number;
  }
  u16(): number {
    return this.view.getUint16(this.advance(2), true);
  }
  u32(): number {
    return this.view.getUint32(this.advance(4), true);
  }
  i32(): number {
    return this.view.getInt32(this.advance(4), true);
  }
  /** An int64 as a number; beyond 2^53 it would lose digits, so that is an error. */
  i64(): number {
    const at = this.advance(8);
    const v = this.view.getBigInt64(at, true);
    if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER))
      throw new RangeError(`int64 ${v} at offset ${at} is out of range: file corrupt`);
    return Number(v);
  }
  f64be(): number {
    return this.view.getFloat64(this.advance(8), false);
  }
  take(n: number): Uint8Array {
    const at = this.advance(n);
    return this.bytes.subarray(at, at + n);
  }
  /** Bytes up to the next newline (pickle's text arguments), as latin1. */
  line(): string {
    const end = this.bytes.indexOf(0x0a, this.pos);
    if (end < 0) throw new RangeError("text line without newline: file truncated?");
    return this.latin1.decode(this.take(end + 1 - this.pos).subarray(0, -1));
  }
}
