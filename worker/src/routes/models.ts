/**
 * GET /api/v1/models and /api/v1/models/:id: the manifest (or one entry),
 * optionally narrowed to the variant that fits a client
 * (`?provider=webgpu&f16=1`, `?provider=wasm`): each generator then lists
 * only that variant, and generators with none that fits are left out, so the
 * answer is still a valid manifest for the shared schema.
 */
import { Hono } from "hono";
import { etag } from "hono/etag";
import {
  type Manifest,
  type ModelEntry,
  PROVIDERS,
  type Provider,
} from "../../../models/schema.ts";
import { type ClientCaps, pickVariant } from "../../../models/select.ts";
import type { AppEnv } from "../env.ts";
import { ApiError } from "../errors.ts";
import type { LoadManifest } from "../manifest.ts";

const CACHE_CONTROL = "public, max-age=60, must-revalidate";
const FLAGS: Readonly<Record<string, boolean>> = {
  "1": true,
  true: true,
  "0": false,
  false: false,
};

function clientCaps(query: Record<string, string>): ClientCaps | undefined {
  const { provider, f16 } = query;
  if (provider === undefined) {
    if (f16 !== undefined) throw new ApiError(400, "bad_query", "f16 needs provider=webgpu.");
    return undefined;
  }
  if (!PROVIDERS.includes(provider as Provider)) {
    throw new ApiError(
      400,
      "bad_query",
      `Unsupported provider "${provider}". Should be one of: ${PROVIDERS.join(", ")}.`,
    );
  }
  const shaderF16 = f16 === undefined ? false : FLAGS[f16];
  if (shaderF16 === undefined) {
    throw new ApiError(400, "bad_query", `Unsupported f16 "${f16}". Should be one of: 0, 1.`);
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
  // A strong ETag from the body: it differs per query, and If-None-Match gets a 304.
  app.use("*", etag(), async (c, next) => {
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
    if (!entry) throw new ApiError(404, "unknown_model", `No model "${id}" in the manifest.`);
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
