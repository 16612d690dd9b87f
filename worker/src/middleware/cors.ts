/** CORS limited to the configured site origins (SITE_ORIGINS). */
import type { MiddlewareHandler } from "hono";
import { cors } from "hono/cors";
import { type AppEnv, settings } from "../env.ts";

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
