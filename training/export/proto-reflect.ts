/**
 * A protobuf encoder that walks protobufjs's reflected schema instead of
 * compiling one. protobufjs compiles each message's encoder with `Function`,
 * which a page's Content-Security-Policy without 'unsafe-eval' forbids (the
 * site's does: script-src 'self' 'wasm-unsafe-eval'), so the browser import
 * writes ONNX through this. It mirrors protobufjs's generated encoder
 * (src/encoder.js) field for field (known fields by number, the same
 * presence rules, packed scalars where the schema says so), so the bytes are
 * the same: tests/import/proto-reflect.test.ts compares them on whole models.
 */
import protobuf from "protobufjs";

type Message = Record<string, unknown>;

/** One field's value written with its tag. */
function writeValue(
  w: protobuf.Writer,
  field: protobuf.Field,
  type: string,
  value: unknown,
  depth: number,
): void {
  const wire = (protobuf.types.basic as Record<string, number | undefined>)[type];
  if (wire === undefined) {
    if (field.delimited) throw new Error(`group field ${field.name} is not supported`);
    w.uint32(((field.id << 3) | 2) >>> 0).fork();
    encodeMessage(field.resolvedType as protobuf.Type, value as Message, w, depth + 1);
    w.ldelim();
    return;
  }
  w.uint32(((field.id << 3) | wire) >>> 0);
  (w as unknown as Record<string, (v: unknown) => protobuf.Writer>)[type]?.call(w, value);
}

/** Whether a singular field is written (protobufjs's rules for proto2 and proto3). */
function present(field: protobuf.Field, type: string, v: unknown): boolean {
  if (v === null || v === undefined) return false;
  if (field.required || field.hasPresence) return true;
  const basic = (protobuf.types.basic as Record<string, number | undefined>)[type];
  if (!(field.resolvedType instanceof protobuf.Enum) && basic === undefined) return true;
  if (field.resolvedType instanceof protobuf.Enum) return v !== field.typeDefault;
  if (type === "bool") return v !== false;
  if (type === "string") return v !== "";
  if (type === "bytes") return (v as Uint8Array).length > 0;
  if (type === "double" || type === "float") return !Object.is(v, 0);
  return v !== 0;
}

export function encodeMessage(
  type: protobuf.Type,
  m: Message,
  w: protobuf.Writer = protobuf.Writer.create(),
  depth = 0,
): protobuf.Writer {
  if (depth > protobuf.util.recursionLimit) throw new Error("max depth exceeded");
  const fields = type.fieldsArray.slice().sort((a, b) => a.id - b.id);
  for (const f of fields) {
    const field = f.resolve();
    const t = field.resolvedType instanceof protobuf.Enum ? "int32" : field.type;
    const own = Object.hasOwn(m, field.name);
    const v = own ? m[field.name] : undefined;
    if (field.map) throw new Error(`map field ${type.name}.${field.name} is not supported`);
    if (field.repeated) {
      const items = v as unknown[] | null | undefined;
      if (!items?.length) continue;
      const packed = (protobuf.types.packed as Record<string, number | undefined>)[t];
      if (field.packed && packed !== undefined) {
        // The writer's plural methods (int64s, floats, ...) write the length and values.
        w.uint32(((field.id << 3) | 2) >>> 0);
        (w as unknown as Record<string, (x: unknown[]) => protobuf.Writer>)[`${t}s`]?.call(
          w,
          items,
        );
      } else {
        for (const x of items) writeValue(w, field, t, x, depth);
      }
    } else if (own && present(field, t, v)) {
      writeValue(w, field, t, v, depth);
    }
  }
  return w;
}
