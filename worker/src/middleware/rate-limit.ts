/**
 * Per-client rate limiting with the Workers rate-limiting binding (Miniflare
 * runs it locally). The client is its IP as Cloudflare reports it.
 */
import type { Context, MiddlewareHandler } from "hono";
import type { AppEnv, Env } from "../env.ts";
import { ApiError } from "../errors.ts";

export interface RateLimitOptions {
  /** The binding to ask. */
  limiter: (env: Env) => RateLimit;
  /** Seconds the client should wait (the binding's period). */
  retryAfterSeconds: number;
  /** A stable key per client. */
  key?: (c: Context<AppEnv>) => string;
  /** Prefixes the key so one binding can serve several routes. */
  scope?: string;
}

const clientIp = (c: Context<AppEnv>) => c.req.header("CF-Connecting-IP") ?? "unknown";

export function rateLimit(options: RateLimitOptions): MiddlewareHandler<AppEnv> {
  const { limiter, retryAfterSeconds, key, scope } = { key: clientIp, scope: "", ...options };
  const message = `Too many requests; try again in ${retryAfterSeconds} s.`;
  return async (c, next) => {
    const { success } = await limiter(c.env).limit({ key: `${scope}:${key(c)}` });
    if (!success) {
      throw new ApiError(429, "rate_limited", message, {
        "Retry-After": String(retryAfterSeconds),
      });
    }
    await next();
  };
}
