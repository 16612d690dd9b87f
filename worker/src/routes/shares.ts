/**
 * Share links: POST /api/v1/shares (multipart), GET /api/v1/shares/:id,
 * GET /api/v1/shares/:id/output|input, DELETE /api/v1/shares/:id.
 */
import { type Context, Hono } from "hono";
import {
  SHARE_LIMITS,
  type ShareCreated,
  ShareFields,
  type ShareView,
  shareLinkPath,
  sharePath,
} from "../../../models/api.ts";
import { type AppEnv, settings, siteOrigin } from "../env.ts";
import { ApiError } from "../errors.ts";
import { etagMatches } from "../http/range.ts";
import { shareKey } from "../keys.ts";
import type { LoadManifest } from "../manifest.ts";
import { bodyLimit } from "../middleware/body-limit.ts";
import { rateLimit } from "../middleware/rate-limit.ts";
import { createShare, deleteShare, findShare, type ShareMeta, tokenMatches } from "../shares.ts";
import { oneOf, readForm, readImage } from "../uploads.ts";

/** Must match the SHARE_LIMITER period in wrangler.toml. */
const RATE_PERIOD_SECONDS = 60;

/** The share as the API shows it (never the token hash). */
function publicMeta(meta: ShareMeta): ShareView {
  return {
    id: meta.id,
    modelId: meta.modelId,
    direction: meta.direction,
    variant: meta.variant,
    createdAt: meta.createdAt,
    expiresAt: meta.expiresAt,
    outputUrl: `${sharePath(meta.id)}/output`,
    inputUrl: meta.input ? `${sharePath(meta.id)}/input` : null,
  };
}

/** The live share or a 404/410; an expired one is deleted in the background. */
async function liveShare(c: Context<AppEnv>, id: string): Promise<ShareMeta> {
  const found = await findShare(c.env.MODELS, id);
  if (found.state === "missing") throw new ApiError(404, "unknown_share", "No such share.");
  if (found.state === "expired") {
    c.executionCtx.waitUntil(deleteShare(c.env.MODELS, id));
    throw new ApiError(410, "share_expired", `This share expired at ${found.meta.expiresAt}.`);
  }
  return found.meta;
}

export function shareRoutes(loadManifest: LoadManifest) {
  const app = new Hono<AppEnv>();

  app.post(
    "/",
    rateLimit({
      limiter: (env) => env.SHARE_LIMITER,
      retryAfterSeconds: RATE_PERIOD_SECONDS,
      scope: "share",
    }),
    bodyLimit({ maxBytes: SHARE_LIMITS.maxBodyBytes }),
    async (c) => {
      const origin = siteOrigin(c.env); // before anything is stored: no link, no share
      const form = await readForm(c);
      const modelId = form.get("modelId");
      const entry = (await loadManifest(c)).models.find((e) => e.id === modelId);
      if (typeof modelId !== "string" || !entry) {
        throw new ApiError(
          400,
          "unknown_model",
          'Field "modelId" must name a model in the manifest.',
        );
      }
      const direction = oneOf(form, "direction", ShareFields.shape.direction);
      const variant = oneOf(form, "variant", ShareFields.shape.variant);
      const generator = entry.generators.find((g) => g.direction === direction);
      if (!generator?.variants.some((v) => v.dtype === variant)) {
        throw new ApiError(
          400,
          "unknown_variant",
          `Model "${modelId}" has no ${direction} ${variant} generator.`,
        );
      }
      const output = await readImage(form, "output");
      if (!output)
        throw new ApiError(400, "bad_field", 'Field "output" (the translated image) is required.');
      const input = await readImage(form, "input");
      const { meta, deleteToken } = await createShare(
        c.env.MODELS,
        { modelId, direction, variant, output, input },
        settings(c.env).shareTtlSeconds,
      );
      c.header("Location", sharePath(meta.id));
      return c.json(
        {
          id: meta.id,
          url: `${origin}${shareLinkPath(meta.id)}`,
          deleteToken,
          expiresAt: meta.expiresAt,
        } satisfies ShareCreated,
        201,
      );
    },
  );

  app.get("/:id", async (c) => {
    const meta = await liveShare(c, c.req.param("id"));
    return c.json(publicMeta(meta), 200, { "Cache-Control": "no-cache" });
  });

  app.get("/:id/:part{output|input}", async (c) => {
    const { id, part } = c.req.param();
    await liveShare(c, id);
    const object = await c.env.MODELS.get(shareKey(id, part as "output" | "input"));
    if (!object) throw new ApiError(404, "no_image", `This share has no ${part} image.`);
    const headers = {
      "Content-Type": object.httpMetadata?.contentType ?? "application/octet-stream",
      "Content-Length": String(object.size),
      ETag: object.httpEtag,
      // Revalidate every use (a cheap 304), so a deleted share is not shown from a cache.
      "Cache-Control": "public, no-cache",
      "Cross-Origin-Resource-Policy": "cross-origin",
    };
    if (etagMatches(c.req.header("If-None-Match"), object.httpEtag)) {
      return new Response(null, { status: 304, headers });
    }
    return new Response(object.body, { status: 200, headers });
  });

  app.delete("/:id", async (c) => {
    const id = c.req.param("id");
    const found = await findShare(c.env.MODELS, id);
    if (found.state === "missing") throw new ApiError(404, "unknown_share", "No such share.");
    const token = /^Bearer\s+(\S+)$/i.exec(c.req.header("Authorization") ?? "")?.[1];
    if (!token) {
      throw new ApiError(401, "missing_token", "Send Authorization: Bearer <deleteToken>.", {
        "WWW-Authenticate": 'Bearer realm="shares"',
      });
    }
    if (!(await tokenMatches(found.meta, token))) {
      throw new ApiError(403, "wrong_token", "The delete token does not match this share.");
    }
    await deleteShare(c.env.MODELS, id);
    return c.body(null, 204);
  });
  return app;
}
