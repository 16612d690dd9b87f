/**
 * `Range` for model files (RFC 9110 §14). One byte range is served as 206;
 * anything this server chooses not to serve as a range (several ranges, a
 * unit other than bytes, bad syntax) is ignored and the whole file is sent
 * with 200, as the RFC allows. A well-formed range that starts past the end
 * (or an empty suffix) is unsatisfiable: 416.
 */
export type RangeResult =
  | { kind: "full" }
  | { kind: "partial"; offset: number; length: number }
  | { kind: "unsatisfiable" };

/**
 * RFC 9110 §14.1: range units are case-insensitive, and the grammar has no
 * whitespace inside `bytes=a-b`; only optional whitespace around the whole
 * field value (OWS: spaces and tabs) is not part of it.
 */
const SINGLE = /^[ \t]*bytes=(\d*)-(\d*)[ \t]*$/i;

export function parseRange(header: string | null | undefined, size: number): RangeResult {
  if (!header) return { kind: "full" };
  const m = SINGLE.exec(header);
  if (!m) return { kind: "full" }; // several ranges, other units, junk
  const [, first = "", last = ""] = m;
  if (first === "" && last === "") return { kind: "full" };
  if (first === "") {
    const suffix = Number(last);
    if (suffix === 0 || size === 0) return { kind: "unsatisfiable" };
    const length = Math.min(suffix, size);
    return { kind: "partial", offset: size - length, length };
  }
  // Digits too long for a safe integer still compare correctly as floats.
  const start = Number(first);
  const lastByte = last === "" ? Number.POSITIVE_INFINITY : Number(last);
  if (lastByte < start) return { kind: "full" }; // syntactically invalid: ignore the header
  if (start >= size) return { kind: "unsatisfiable" };
  return { kind: "partial", offset: start, length: Math.min(lastByte, size - 1) - start + 1 };
}

/** True when `If-None-Match` names `etag` (weak comparison, as RFC 9110 §13.1.2 asks). */
export function etagMatches(header: string | null | undefined, etag: string): boolean {
  if (!header) return false;
  if (header.trim() === "*") return true;
  const bare = (t: string) => t.trim().replace(/^W\//, "");
  return header.split(",").some((t) => bare(t) === bare(etag));
}
