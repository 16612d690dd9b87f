/**
 * Rejects a body over `maxBytes` before reading it: by Content-Length when
 * the client sends one, else by counting the stream as it arrives.
 */
import type { MiddlewareHandler } from "hono";
import { bodyLimit as honoBodyLimit } from "hono/body-limit";
import type { AppEnv } from "../env.ts";
import { ApiError } from "../errors.ts";

export interface BodyLimitOptions {
  maxBytes: number;
}

export function bodyLimit(options: BodyLimitOptions): MiddlewareHandler<AppEnv> {
  const { maxBytes } = options;
  const mib = (maxBytes / 2 ** 20).toFixed(1);
  return honoBodyLimit({
    maxSize: maxBytes,
    onError: () => {
      throw new ApiError(413, "payload_too_large", `The request body is over ${mib} MiB.`);
    },
  });
}
