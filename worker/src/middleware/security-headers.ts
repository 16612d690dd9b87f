/**
 * Security headers on every response, static files included (run_worker_first).
 * COOP + COEP make the site cross-origin isolated, which multithreaded
 * WebAssembly (onnxruntime-web) needs; the CSP allows WebAssembly compilation
 * and module/blob workers, and nothing from other origins.
 */
import type { MiddlewareHandler } from "hono";
import { secureHeaders } from "hono/secure-headers";
import type { AppEnv } from "../env.ts";

type CspOptions = NonNullable<
  NonNullable<Parameters<typeof secureHeaders>[0]>["contentSecurityPolicy"]
>;

export const CONTENT_SECURITY_POLICY = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'", "'wasm-unsafe-eval'"],
  workerSrc: ["'self'", "blob:"],
  connectSrc: ["'self'", "blob:", "data:"],
  imgSrc: ["'self'", "blob:", "data:"],
  // Stylesheets from files only: the site builds with inlineStylesheets: "never"
  // (site/astro.config.mjs) and uses no style="" attributes; the share page has
  // no styles. Scripts may still set element.style (CSSOM is not governed by CSP).
  styleSrc: ["'self'"],
  fontSrc: ["'self'"],
  objectSrc: ["'none'"],
  baseUri: ["'self'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
} satisfies CspOptions;

export interface SecurityHeadersOptions {
  /** Default Cross-Origin-Resource-Policy; a route may set its own (files use cross-origin). */
  resourcePolicy?: "same-origin" | "same-site" | "cross-origin";
}

export function securityHeaders(options: SecurityHeadersOptions = {}): MiddlewareHandler<AppEnv> {
  const { resourcePolicy } = {
    resourcePolicy: "same-origin",
    ...options,
  } satisfies Required<SecurityHeadersOptions>;
  return secureHeaders({
    contentSecurityPolicy: CONTENT_SECURITY_POLICY,
    crossOriginEmbedderPolicy: "require-corp",
    crossOriginOpenerPolicy: "same-origin",
    crossOriginResourcePolicy: resourcePolicy,
    xFrameOptions: "DENY",
    // Headers a route set itself (CORP on model files and share images) are kept.
    overwrite: false,
  });
}
