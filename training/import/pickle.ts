/**
 * A restricted pickle reader: enough of the pickle machine (protocols 0-5
 * opcodes that torch.save emits) to read a PyTorch state dict, and nothing
 * that runs code. Globals resolve only through an allow-list supplied by the
 * caller (OrderedDict, tensor rebuild functions, storage types); any other
 * global, or an object built some other way, is an error naming it.
 */
import { ByteReader } from "./bytes.ts";

/** A Python tuple (kept apart from lists so shapes and ids read unambiguously). */
export class Tuple {
  readonly items: PickleValue[];
  constructor(items: PickleValue[]) {
    this.items = items;
  }
}

/** A reference to a module attribute, e.g. torch.FloatStorage, as pickled by GLOBAL. */
export class Global {
  readonly module: string;
  readonly name: string;
  constructor(module: string, name: string) {
    this.module = module;
    this.name = name;
  }
  get qualified(): string {
    return `${this.module}.${this.name}`;
  }
}

export type PickleValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | PickleValue[]
  | Tuple
  | Map<PickleValue, PickleValue>
  | Global
  | { readonly [opaque]: unknown };

/** Objects the caller's callables return (tensors, storages): opaque to the machine. */
export const opaque: unique symbol = Symbol("opaque");

export interface PickleEnv {
  /** Globals that may appear; anything else is refused. */
  allowed: ReadonlySet<string>;
  /** Calls an allowed global (REDUCE). */
  call(fn: Global, args: PickleValue[]): PickleValue;
  /** Resolves a persistent id (BINPERSID), e.g. a tensor storage. */
  persistentLoad?(pid: PickleValue): PickleValue;
}

export class PickleError extends Error {
  override name = "PickleError";
}

const MARK = Symbol("mark");
type Slot = PickleValue | typeof MARK;

const utf8 = new TextDecoder("utf-8", { fatal: true });
const latin1 = new TextDecoder("latin1");

/**
 * Longest LONG1/LONG4 integer read: a state dict needs at most the legacy
 * magic number (10 bytes), and building a BigInt byte by byte is quadratic.
 */
const MAX_LONG_BYTES = 16;

/** Little-endian two's complement integer of `n` bytes (LONG1/LONG4). */
function long(r: ByteReader, n: number): number | bigint {
  if (n > MAX_LONG_BYTES)
    throw new PickleError(
      `a pickled integer of ${n} bytes is too long for a state dict (${MAX_LONG_BYTES} at most) at offset ${r.pos}`,
    );
  const b = r.take(n);
  let v = 0n;
  for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i] as number);
  if (b.length > 0 && ((b[b.length - 1] as number) & 0x80) !== 0) v -= 1n << BigInt(8 * b.length);
  const safe = v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER);
  return safe ? Number(v) : v;
}

/** Opcodes that push one value read from the stream (or a constant). */
const VALUES: Record<number, (r: ByteReader) => PickleValue> = {
  78: () => null, // NONE
  136: () => true, // NEWTRUE
  137: () => false, // NEWFALSE
  74: (r) => r.i32(), // BININT
  75: (r) => r.u8(), // BININT1
  77: (r) => r.u16(), // BININT2
  138: (r) => long(r, r.u8()), // LONG1
  139: (r) => long(r, r.u32()), // LONG4
  73: (r) => {
    // INT (protocol 0; "01"/"00" are True/False)
    const s = r.line();
    return s === "01" ? true : s === "00" ? false : Number.parseInt(s, 10);
  },
  71: (r) => r.f64be(), // BINFLOAT
  88: (r) => utf8.decode(r.take(r.u32())), // BINUNICODE
  140: (r) => utf8.decode(r.take(r.u8())), // SHORT_BINUNICODE
  141: (r) => utf8.decode(r.take(r.i64())), // BINUNICODE8
  84: (r) => latin1.decode(r.take(r.u32())), // BINSTRING (Python 2 str)
  85: (r) => latin1.decode(r.take(r.u8())), // SHORT_BINSTRING
  66: (r) => new Uint8Array(r.take(r.u32())), // BINBYTES
  67: (r) => new Uint8Array(r.take(r.u8())), // SHORT_BINBYTES
  41: () => new Tuple([]), // EMPTY_TUPLE
  93: () => [], // EMPTY_LIST
  125: () => new Map(), // EMPTY_DICT
};

/** Reads one pickle starting at `offset`; returns the value and the offset after STOP. */
export function unpickle(
  bytes: Uint8Array,
  env: PickleEnv,
  offset = 0,
): { value: PickleValue; end: number } {
  const r = new ByteReader(bytes, offset);
  const stack: Slot[] = [];
  const memo = new Map<number, PickleValue>();
  const fail = (why: string): never => {
    throw new PickleError(`${why} at offset ${r.pos}`);
  };
  const pop = (): PickleValue => {
    const v = stack.pop();
    return v === undefined || v === MARK ? fail("pickle stack underflow") : v;
  };
  const top = (): PickleValue => {
    const v = stack.at(-1);
    return v === undefined || v === MARK ? fail("pickle stack underflow") : v;
  };
  const popMark = (): PickleValue[] => {
    const i = stack.lastIndexOf(MARK);
    if (i < 0) fail("pickle MARK missing");
    return stack.splice(i).slice(1) as PickleValue[];
  };
  const global = (module: PickleValue, name: PickleValue): Global => {
    if (typeof module !== "string" || typeof name !== "string")
      return fail("GLOBAL needs two strings");
    const g = new Global(module, name);
    if (!env.allowed.has(g.qualified))
      throw new PickleError(`refusing to load ${g.qualified}: not part of a tensor state dict`);
    return g;
  };
  const setItems = (dict: PickleValue, pairs: PickleValue[]) => {
    if (!(dict instanceof Map)) fail("SETITEM(S) on something that is not a dict");
    for (let i = 0; i + 1 < pairs.length; i += 2)
      (dict as Map<PickleValue, PickleValue>).set(
        pairs[i] as PickleValue,
        pairs[i + 1] as PickleValue,
      );
  };
  const append = (list: PickleValue, items: PickleValue[]) => {
    if (!Array.isArray(list)) fail("APPEND(S) on something that is not a list");
    // One by one: spreading as many items as the file has bytes overflows the call stack.
    for (const v of items) (list as PickleValue[]).push(v);
  };
  const memoKey = (op: number) =>
    op === 0x68 || op === 0x71
      ? r.u8()
      : op === 0x6a || op === 0x72
        ? r.u32()
        : Number.parseInt(r.line(), 10);

  for (;;) {
    const op = r.u8();
    const value = VALUES[op];
    if (value) {
      stack.push(value(r));
      continue;
    }
    switch (op) {
      case 0x80: // PROTO
        r.u8();
        break;
      case 0x95: // FRAME (protocol 4): a length prefix only
        r.take(8);
        break;
      case 0x2e: // STOP
        return { value: pop(), end: r.pos };
      case 0x28: // MARK
        stack.push(MARK);
        break;
      case 0x30: // POP
        pop();
        break;
      case 0x31: // POP_MARK
        popMark();
        break;
      case 0x32: // DUP
        stack.push(top());
        break;
      case 0x74: // TUPLE
        stack.push(new Tuple(popMark()));
        break;
      case 0x85: // TUPLE1
      case 0x86: // TUPLE2
      case 0x87: {
        // TUPLE3
        const items = Array.from({ length: op - 0x84 }, pop).reverse();
        stack.push(new Tuple(items));
        break;
      }
      case 0x6c: // LIST
        stack.push(popMark());
        break;
      case 0x61: {
        // APPEND
        const v = pop();
        append(top(), [v]);
        break;
      }
      case 0x65: {
        // APPENDS
        const items = popMark();
        append(top(), items);
        break;
      }
      case 0x64: {
        // DICT
        const d = new Map<PickleValue, PickleValue>();
        setItems(d, popMark());
        stack.push(d);
        break;
      }
      case 0x73: {
        // SETITEM
        const v = pop();
        const k = pop();
        setItems(top(), [k, v]);
        break;
      }
      case 0x75: {
        // SETITEMS
        const items = popMark();
        setItems(top(), items);
        break;
      }
      case 0x63: // GLOBAL "module\nname\n"
        stack.push(global(r.line(), r.line()));
        break;
      case 0x93: {
        // STACK_GLOBAL
        const name = pop();
        stack.push(global(pop(), name));
        break;
      }
      case 0x52: {
        // REDUCE: callable(*args), only for allowed globals
        const args = pop();
        const fn = pop();
        if (!(fn instanceof Global) || !(args instanceof Tuple))
          fail("REDUCE on something other than an allowed global");
        stack.push(env.call(fn as Global, (args as Tuple).items));
        break;
      }
      case 0x62: {
        // BUILD: only the state of an OrderedDict (its _metadata), which is dropped
        const state = pop();
        if (!(top() instanceof Map) || !(state instanceof Map || state === null))
          fail("BUILD on an object a state dict does not contain");
        break;
      }
      case 0x51: // BINPERSID
        if (!env.persistentLoad) fail("persistent id in a pickle that allows none");
        stack.push(env.persistentLoad?.(pop()) ?? null);
        break;
      case 0x71: // BINPUT
      case 0x72: // LONG_BINPUT
      case 0x70: // PUT
        memo.set(memoKey(op), top());
        break;
      case 0x94: // MEMOIZE
        memo.set(memo.size, top());
        break;
      case 0x68: // BINGET
      case 0x6a: // LONG_BINGET
      case 0x67: {
        // GET
        const key = memoKey(op);
        stack.push(
          memo.has(key) ? (memo.get(key) as PickleValue) : fail(`pickle memo key ${key} unknown`),
        );
        break;
      }
      default:
        fail(`unsupported pickle opcode 0x${op.toString(16)}: not a plain tensor state dict`);
    }
  }
}
