/**
 * GET|HEAD /models/:id/:file: the fallback download of a model file from R2.
 * Only names listed in the manifest are served, and the R2 key is built from
 * the manifest's own strings, so traversal or encoding tricks can only 404.
 */
import { Hono } from "hono";
import type { Variant } from "../../../models/schema.ts";
import type { AppEnv } from "../env.ts";
import { ApiError } from "../errors.ts";
import { etagMatches, parseRange } from "../http/range.ts";
import { modelKey } from "../keys.ts";
import type { LoadManifest } from "../manifest.ts";

function hexToBase64(hex: string): string {
  const bytes = hex.match(/../g)?.map((h) => Number.parseInt(h, 16)) ?? [];
  return btoa(String.fromCharCode(...bytes));
}

function fileHeaders(variant: Variant, etag: string): Record<string, string> {
  return {
    ETag: etag,
    // Not immutable: a re-exported model keeps its file name with new bytes.
    // Revalidating costs a 304 (the ETag is the manifest's sha256).
    "Cache-Control": "public, max-age=300, must-revalidate",
    "Accept-Ranges": "bytes",
    // RFC 9530: the digest of the whole file, valid for 206 parts too.
    "Repr-Digest": `sha-256=:${hexToBase64(variant.sha256)}:`,
    // The site is cross-origin isolated (COEP require-corp) and may live on another origin.
    "Cross-Origin-Resource-Policy": "cross-origin",
  };
}

/**
 * Why a stored object is not the file the manifest lists, or null when it is.
 * Seeding records the sha256 it verified in customMetadata; an object stored
 * without one can only be checked by size.
 */
function storageProblem(object: R2Object | null, variant: Variant): ApiError | null {
  if (!object) {
    return new ApiError(
      404,
      "file_missing",
      "The manifest lists this file but it is not in storage.",
    );
  }
  if (object.size !== variant.bytes) {
    return new ApiError(
      503,
      "file_inconsistent",
      `Stored file has ${object.size} bytes, the manifest says ${variant.bytes}.`,
    );
  }
  const stored = object.customMetadata?.sha256;
  if (stored !== undefined && stored !== variant.sha256) {
    return new ApiError(
      503,
      "file_inconsistent",
      `Stored file has sha256 ${stored}, the manifest says ${variant.sha256}.`,
    );
  }
  return null;
}

/**
 * The object or one byte range of it. R2 refuses a range past the object's
 * end, which (the range being checked against the manifest's size) means the
 * stored object is shorter than listed: report that, not a server fault.
 */
async function getObject(
  bucket: R2Bucket,
  key: string,
  variant: Variant,
  range: R2Range | undefined,
): Promise<R2ObjectBody | null> {
  try {
    return await bucket.get(key, range ? { range } : {});
  } catch (e) {
    throw storageProblem(await bucket.head(key), variant) ?? e;
  }
}

export function fileRoutes(loadManifest: LoadManifest) {
  const app = new Hono<AppEnv>();
  app.on(["GET", "HEAD"], "/:id/:file", async (c) => {
    const { id, file } = c.req.param();
    // Listed names never need percent-encoding; an encoded path is a trick, not a file.
    if (new URL(c.req.url).pathname !== `/models/${id}/${file}`) {
      throw new ApiError(404, "unknown_file", "No such model file in the manifest.");
    }
    const entry = (await loadManifest(c)).models.find((e) => e.id === id);
    const variant = entry?.generators.flatMap((g) => g.variants).find((v) => v.file === file);
    if (!entry || !variant) {
      throw new ApiError(404, "unknown_file", "No such model file in the manifest.");
    }
    const etag = `"${variant.sha256}"`;
    const headers = fileHeaders(variant, etag);
    if (etagMatches(c.req.header("If-None-Match"), etag)) {
      return c.body(null, 304, headers);
    }
    const key = modelKey(entry.id, variant.file);
    const size = variant.bytes;
    const head = c.req.method === "HEAD";
    // Range is defined for GET only (RFC 9110 §14.2): HEAD describes the whole file.
    // If-Range: serve the range only while the client's copy is this exact file.
    const ifRange = c.req.header("If-Range");
    const range =
      head || (ifRange && ifRange !== etag)
        ? { kind: "full" as const }
        : parseRange(c.req.header("Range"), size);
    if (range.kind === "unsatisfiable") {
      throw new ApiError(416, "range_not_satisfiable", `The file has ${size} bytes.`, {
        "Content-Range": `bytes */${size}`,
      });
    }
    const object = head
      ? await c.env.MODELS.head(key)
      : await getObject(c.env.MODELS, key, variant, range.kind === "partial" ? range : undefined);
    const problem = storageProblem(object, variant);
    if (problem) {
      if (!head) await (object as R2ObjectBody | null)?.body.cancel(); // a body we will not send
      throw problem;
    }
    const body = head ? null : (object as R2ObjectBody).body;
    headers["Content-Type"] = "application/octet-stream";
    if (range.kind === "partial") {
      headers["Content-Range"] = `bytes ${range.offset}-${range.offset + range.length - 1}/${size}`;
      headers["Content-Length"] = String(range.length);
      return new Response(body, { status: 206, headers });
    }
    headers["Content-Length"] = String(size);
    return new Response(body, { status: 200, headers });
  });
  return app;
}
