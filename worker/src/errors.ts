/**
 * One error shape for every API response: `{ error: { code, message } }`.
 * Routes throw `ApiError`; `onError` and `notFound` turn anything into that shape.
 */
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { ErrorBody, ErrorCode } from "../../models/api.ts";
import type { AppEnv } from "./env.ts";

/** Stable codes for statuses thrown without one (e.g. by Hono's own middleware). */
const CODES: Partial<Record<number, ErrorCode>> = {
  400: "bad_request",
  401: "unauthorized",
  403: "forbidden",
  404: "not_found",
  405: "method_not_allowed",
  410: "gone",
  413: "payload_too_large",
  415: "unsupported_media_type",
  416: "range_not_satisfiable",
  429: "rate_limited",
  500: "internal_error",
  503: "unavailable",
};

export class ApiError extends HTTPException {
  readonly code: ErrorCode;
  readonly headers: Record<string, string>;
  constructor(
    status: ContentfulStatusCode,
    code: ErrorCode,
    message: string,
    headers: Record<string, string> = {},
  ) {
    super(status, { message });
    this.code = code;
    this.headers = headers;
  }
}

export function errorResponse(
  c: Context<AppEnv>,
  status: ContentfulStatusCode,
  code: ErrorCode,
  message: string,
  headers: Record<string, string> = {},
): Response {
  return c.json({ error: { code, message } } satisfies ErrorBody, status, {
    "Cache-Control": "no-store",
    ...headers,
  });
}

export function onError(err: Error, c: Context<AppEnv>): Response {
  if (err instanceof ApiError) {
    return errorResponse(c, err.status as ContentfulStatusCode, err.code, err.message, err.headers);
  }
  if (err instanceof HTTPException) {
    const status = err.status as ContentfulStatusCode;
    const code = CODES[status] ?? (status >= 500 ? "internal_error" : "bad_request");
    return errorResponse(c, status, code, err.message || `HTTP ${status}`);
  }
  // A bug or an outage, never the client's fault: log it, say little.
  console.error(err);
  return errorResponse(c, 500, "internal_error", "The server failed to handle this request.");
}

/**
 * A client-supplied string for a message, at most `max` characters: an 8 KB
 * path segment is not echoed back 8 KB long.
 */
export function echo(value: string, max = 64): string {
  return value.length <= max ? value : `${value.slice(0, max)}…`;
}

export function notFound(c: Context<AppEnv>): Response {
  return errorResponse(
    c,
    404,
    "not_found",
    `No route for ${c.req.method} ${echo(c.req.path, 128)}.`,
  );
}
