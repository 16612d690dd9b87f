/**
 * Per-client rate limiting with the Workers rate-limiting binding (Miniflare
 * runs it locally). The client is its IP as Cloudflare reports it (an IPv6
 * client by its /64).
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

/**
 * The client: its IPv4 address, or the /64 network of its IPv6 address (one
 * subscriber usually holds a whole /64 and can rotate through it freely).
 */
export function clientKey(ip: string | undefined): string {
  if (!ip) return "unknown";
  if (!ip.includes(":")) return ip;
  if (ip.includes(".")) return ip.slice(ip.lastIndexOf(":") + 1); // IPv4-mapped (::ffff:a.b.c.d)
  // Expand "::" so the first four groups are the /64 prefix.
  const [head = "", tail] = ip.toLowerCase().split("::");
  const groups = head === "" ? [] : head.split(":");
  const rest = tail === undefined ? [] : tail === "" ? [] : tail.split(":");
  const full = [
    ...groups,
    ...Array(Math.max(0, 8 - groups.length - rest.length)).fill("0"),
    ...rest,
  ];
  return `${full
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ""))
    .join(":")}::/64`;
}

const clientIp = (c: Context<AppEnv>) => clientKey(c.req.header("CF-Connecting-IP"));

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
