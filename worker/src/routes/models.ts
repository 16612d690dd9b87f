/**
 * GET /api/v1/models and /api/v1/models/:id: the manifest (or one entry),
 * optionally narrowed to the variant that fits a client
 * (`?provider=webgpu&f16=1`, `?provider=wasm`): each generator then lists
 * only that variant, and generators with none that fits are left out, so the
 * answer is still a valid manifest for the shared schema.
 */
import { Hono } from "hono";
import { etag, RETAINED_304_HEADERS } from "hono/etag";
import {
  type Manifest,
  type ModelEntry,
  PROVIDERS,
  type Provider,
} from "../../../models/schema.ts";
import { type ClientCaps, pickVariant } from "../../../models/select.ts";
import type { AppEnv } from "../env.ts";
import { ApiError, echo } from "../errors.ts";
import type { LoadManifest } from "../manifest.ts";
import { CORS_RESPONSE_HEADERS } from "../middleware/cors.ts";

const CACHE_CONTROL = "public, max-age=60, must-revalidate";
/** `f16` values, also listed in the OpenAPI document (a Map: no inherited "constructor"). */
export const F16_VALUES: ReadonlyMap<string, boolean> = new Map([
  ["0", false],
  ["1", true],
]);

function clientCaps(query: Record<string, string>): ClientCaps | undefined {
  const { provider, f16 } = query;
  if (provider !== undefined && !PROVIDERS.includes(provider as Provider)) {
    throw new ApiError(
      400,
      "bad_query",
      `Unsupported provider "${echo(provider)}". Should be one of: ${PROVIDERS.join(", ")}.`,
    );
  }
  // shader-f16 is a WebGPU adapter feature; with any other provider it means nothing.
  if (f16 !== undefined && provider !== "webgpu") {
    throw new ApiError(400, "bad_query", "f16 needs provider=webgpu.");
  }
  if (provider === undefined) return undefined;
  const shaderF16 = f16 === undefined ? false : F16_VALUES.get(f16);
  if (shaderF16 === undefined) {
    throw new ApiError(
      400,
      "bad_query",
      `Unsupported f16 "${echo(f16 ?? "")}". Should be one of: ${[...F16_VALUES.keys()].join(", ")}.`,
    );
  }
  return { provider: provider as Provider, shaderF16 };
}

function narrow(entry: ModelEntry, caps: ClientCaps | undefined): ModelEntry | undefined {
  if (!caps) return entry;
  const generators = entry.generators.flatMap((g) => {
    const v = pickVariant(g, caps);
    return v ? [{ ...g, variants: [v] }] : [];
  });
  return generators.length > 0 ? { ...entry, generators } : undefined;
}

export function modelRoutes(loadManifest: LoadManifest) {
  const app = new Hono<AppEnv>();
  // A strong ETag from the body: it differs per query, and If-None-Match gets a 304
  // that keeps the CORS headers (a cross-origin page cannot read one without them).
  const retainedHeaders = [...RETAINED_304_HEADERS, ...CORS_RESPONSE_HEADERS];
  app.use("*", etag({ retainedHeaders }), async (c, next) => {
    await next();
    if (c.res.ok) c.header("Cache-Control", CACHE_CONTROL);
  });

  app.get("/", async (c) => {
    const caps = clientCaps(c.req.query());
    const manifest = await loadManifest(c);
    const models = manifest.models.flatMap((e) => narrow(e, caps) ?? []);
    return c.json({ ...manifest, models } satisfies Manifest);
  });

  app.get("/:id", async (c) => {
    const caps = clientCaps(c.req.query());
    const id = c.req.param("id");
    const entry = (await loadManifest(c)).models.find((e) => e.id === id);
    if (!entry) throw new ApiError(404, "unknown_model", `No model "${echo(id)}" in the manifest.`);
    const narrowed = narrow(entry, caps);
    if (!narrowed) {
      throw new ApiError(
        404,
        "no_fitting_variant",
        `Model "${id}" has no variant for this client.`,
      );
    }
    return c.json(narrowed satisfies ModelEntry);
  });
  return app;
}
