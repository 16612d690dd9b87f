/**
 * Share links: POST /api/v1/shares (multipart), GET /api/v1/shares/:id,
 * GET /api/v1/shares/:id/output|input, DELETE /api/v1/shares/:id.
 */
import { type Context, Hono } from "hono";
import { DIRECTIONS, type Direction, DTYPES, type Dtype } from "../../../models/schema.ts";
import { type AppEnv, settings } from "../env.ts";
import { ApiError } from "../errors.ts";
import { etagMatches } from "../http/range.ts";
import { IMAGE_TYPES, type ImageInfo, type ImageType, probeImage } from "../images.ts";
import { shareKey } from "../keys.ts";
import type { LoadManifest } from "../manifest.ts";
import { bodyLimit } from "../middleware/body-limit.ts";
import { rateLimit } from "../middleware/rate-limit.ts";
import { createShare, deleteShare, findShare, type ShareMeta, tokenMatches } from "../shares.ts";

export const MAX_IMAGE_BYTES = 4 * 2 ** 20;
export const MAX_IMAGE_SIDE = 2048;
/** Two images plus room for the multipart framing and the text fields. */
export const MAX_SHARE_BODY = 2 * MAX_IMAGE_BYTES + 64 * 1024;
/** Must match the SHARE_LIMITER period in wrangler.toml. */
const RATE_PERIOD_SECONDS = 60;

export const sharePath = (id: string) => `/api/v1/shares/${id}`;

function oneOf<T extends string>(form: FormData, name: string, allowed: readonly T[]): T {
  const value = form.get(name);
  if (typeof value !== "string" || !allowed.includes(value as T)) {
    throw new ApiError(
      400,
      "bad_field",
      `Field "${name}" must be one of: ${allowed.join(", ")} (got ${typeof value === "string" ? `"${value.slice(0, 40)}"` : "nothing"}).`,
    );
  }
  return value as T;
}

async function readImage(
  form: FormData,
  name: string,
): Promise<{ info: ImageInfo; bytes: Uint8Array } | null> {
  const file = form.get(name);
  if (file === null) return null;
  if (typeof file === "string")
    throw new ApiError(400, "bad_field", `Field "${name}" must be a file.`);
  if (file.size > MAX_IMAGE_BYTES) {
    throw new ApiError(
      413,
      "image_too_large",
      `"${name}" is over ${MAX_IMAGE_BYTES / 2 ** 20} MiB.`,
    );
  }
  const declared = file.type.split(";")[0]?.trim().toLowerCase() ?? "";
  if (!IMAGE_TYPES.includes(declared as ImageType)) {
    throw new ApiError(
      415,
      "unsupported_image_type",
      `"${name}" is ${declared || "untyped"}; send one of: ${IMAGE_TYPES.join(", ")}.`,
    );
  }
  const bytes = new Uint8Array(await file.arrayBuffer());
  const probe = probeImage(bytes);
  if (!probe.ok) {
    const [status, message] =
      probe.problem === "not_an_image"
        ? ([415, `"${name}" is not a JPEG, PNG or WebP image.`] as const)
        : ([
            400,
            `"${name}" is a ${probe.problem} ${declared.slice(6).toUpperCase()} file.`,
          ] as const);
    throw new ApiError(
      status,
      probe.problem === "not_an_image" ? "not_an_image" : `${probe.problem}_image`,
      message,
    );
  }
  const { info } = probe;
  if (info.type !== declared) {
    throw new ApiError(
      415,
      "content_type_mismatch",
      `"${name}" is sent as ${declared} but is ${info.type}.`,
    );
  }
  if (info.width > MAX_IMAGE_SIDE || info.height > MAX_IMAGE_SIDE) {
    throw new ApiError(
      400,
      "image_dimensions",
      `"${name}" is ${info.width}x${info.height} px; at most ${MAX_IMAGE_SIDE} px a side.`,
    );
  }
  return { info, bytes };
}

async function readForm(c: Context<AppEnv>): Promise<FormData> {
  const type = c.req.header("Content-Type") ?? "";
  if (!/^multipart\/form-data\s*;/i.test(type)) {
    throw new ApiError(415, "unsupported_media_type", "Send multipart/form-data.");
  }
  try {
    return await c.req.raw.formData();
  } catch {
    throw new ApiError(400, "bad_multipart", "The multipart body is malformed or incomplete.");
  }
}

/** The share as the API shows it (never the token hash). */
function publicMeta(meta: ShareMeta) {
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
export async function liveShare(c: Context<AppEnv>, id: string): Promise<ShareMeta> {
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
    bodyLimit({ maxBytes: MAX_SHARE_BODY }),
    async (c) => {
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
      const direction: Direction = oneOf(form, "direction", DIRECTIONS);
      const variant: Dtype = oneOf(form, "variant", DTYPES);
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
      const origin = new URL(c.req.url).origin;
      c.header("Location", sharePath(meta.id));
      return c.json(
        { id: meta.id, url: `${origin}/s/${meta.id}`, deleteToken, expiresAt: meta.expiresAt },
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
      "Cache-Control": "public, max-age=60",
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
