/** The worker's bindings and vars (wrangler.toml), and the settings read from them. */
export interface Env {
  /** The built site (site/dist), served through the worker so it gets the security headers. */
  ASSETS: Fetcher;
  /** Model files (`models/<id>/<file>`), `manifest.json` and shares (`shares/<id>/...`). */
  MODELS: R2Bucket;
  /** Per-client limit on share creation. */
  SHARE_LIMITER: RateLimit;
  /**
   * Comma-separated origins allowed by CORS, e.g. "https://unpaired.example".
   * The first is the site's own: share links and Open Graph URLs point there.
   */
  SITE_ORIGINS: string;
  /** How long a share lives (seconds); default 30 days. */
  SHARE_TTL_SECONDS?: string;
  /** How long an isolate trusts its cached manifest before revalidating with R2 (seconds). */
  MANIFEST_CACHE_SECONDS?: string;
}

export type AppEnv = { Bindings: Env };

export interface Settings {
  siteOrigins: readonly string[];
  /**
   * Where share links point (the first of siteOrigins). Never the request's
   * Host, which a client chooses: a forged one would put another domain in
   * the link and its Open Graph tags.
   */
  siteOrigin: string | undefined;
  shareTtlSeconds: number;
  manifestCacheSeconds: number;
}

const DEFAULTS = {
  shareTtlSeconds: 30 * 24 * 3600,
  manifestCacheSeconds: 30,
} as const satisfies Omit<Settings, "siteOrigins" | "siteOrigin">;

function positive(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined || value === "") return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0)
    throw new Error(`${name} must be a positive number, got "${value}"`);
  return n;
}

/** Vars are strings; parse them once per env object (one per isolate in practice). */
const parsed = new WeakMap<Env, Settings>();

export function settings(env: Env): Settings {
  let s = parsed.get(env);
  if (!s) {
    const siteOrigins = (env.SITE_ORIGINS ?? "")
      .split(",")
      .map((o) => o.trim())
      .filter(Boolean);
    s = Object.freeze({
      siteOrigins: Object.freeze(siteOrigins),
      siteOrigin: siteOrigins[0],
      shareTtlSeconds: positive(
        env.SHARE_TTL_SECONDS,
        "SHARE_TTL_SECONDS",
        DEFAULTS.shareTtlSeconds,
      ),
      manifestCacheSeconds: positive(
        env.MANIFEST_CACHE_SECONDS,
        "MANIFEST_CACHE_SECONDS",
        DEFAULTS.manifestCacheSeconds,
      ),
    });
    parsed.set(env, s);
  }
  return s;
}

/** The site's origin for absolute links; a deployment without SITE_ORIGINS cannot make them. */
export function siteOrigin(env: Env): string {
  const origin = settings(env).siteOrigin;
  if (!origin) throw new Error("SITE_ORIGINS is empty: share links need the site's origin.");
  return origin;
}
