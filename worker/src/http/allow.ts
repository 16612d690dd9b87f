/**
 * The answer for a request no handler took: 405 with `Allow` (RFC 9110
 * §15.5.6) when the path is routed under other methods, else 404. The path is
 * matched with Hono's own router over the app's registered routes, so the
 * answer cannot drift from them.
 */
import type { Context, Hono } from "hono";
import { TrieRouter } from "hono/router/trie-router";
import type { AppEnv } from "../env.ts";
import { errorResponse, notFound } from "../errors.ts";

const ORDER = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];

export interface UnroutedOptions {
  /** CORS middleware answers OPTIONS under this prefix (preflights), so Allow lists it. */
  preflight: boolean;
}

export function unrouted(app: Hono<AppEnv>, options: UnroutedOptions) {
  const { preflight } = options;
  let router: TrieRouter<string> | undefined;
  return (c: Context<AppEnv>): Response => {
    // Built on first use, when every route is registered.
    if (!router) {
      router = new TrieRouter();
      for (const r of app.routes) if (r.method !== "ALL") router.add("ALL", r.path, r.method);
    }
    const methods = new Set(router.match("ALL", c.req.path)[0].map(([method]) => method));
    if (methods.size === 0) return notFound(c);
    // Hono answers HEAD with the GET handler.
    if (methods.has("GET")) methods.add("HEAD");
    if (preflight) methods.add("OPTIONS");
    const allow = ORDER.filter((m) => methods.has(m)).join(", ");
    return errorResponse(
      c,
      405,
      "method_not_allowed",
      `${c.req.method} is not allowed here; use ${allow}.`,
      { Allow: allow },
    );
  };
}

/** What a static file answers to: the assets binding serves GET and HEAD only. */
export const STATIC_ALLOW = "GET, HEAD";
