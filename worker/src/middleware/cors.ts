/** CORS limited to the configured site origins (SITE_ORIGINS). */
import type { MiddlewareHandler } from "hono";
import { cors } from "hono/cors";
import { type AppEnv, settings } from "../env.ts";

/** What this middleware adds to an answer; a 304 made later must keep them. */
export const CORS_RESPONSE_HEADERS = [
  "Access-Control-Allow-Origin",
  "Access-Control-Expose-Headers",
] as const;

export interface CorsOptions {
  allowMethods?: string[];
  allowHeaders?: string[];
  exposeHeaders?: string[];
}

export function siteCors(options: CorsOptions = {}): MiddlewareHandler<AppEnv> {
  const merged = {
    allowMethods: ["GET", "HEAD", "OPTIONS"],
    allowHeaders: [],
    exposeHeaders: [],
    ...options,
  } satisfies Required<CorsOptions>;
  return cors({
    ...merged,
    origin: (origin, c) => (settings(c.env).siteOrigins.includes(origin) ? origin : null),
    maxAge: 86400,
  });
}
