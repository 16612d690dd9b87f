/**
 * The edge API's contract besides the manifest (schema.ts): share links, the
 * error codes every route answers with, and the upload limits. The worker
 * builds and checks its answers with these schemas, the site parses them, and
 * the OpenAPI document is generated from them.
 *
 * Written with `zod/mini` and without importing schema.ts: the site's share
 * page bundles this file, and zod's full build (pulled in by schema.ts) would
 * add about 90 kB there; zod/mini with these few schemas adds about 6 kB. The
 * manifest's directions and variants come from names.ts, which has no zod.
 */
import * as z from "zod/mini";
import { DIRECTIONS, DTYPES } from "./names.ts";

// ---------------------------------------------------------------- limits

const MIB = 2 ** 20;
/** What one share upload may be: the worker refuses past these, the site re-encodes to fit. */
export const SHARE_LIMITS = Object.freeze({
  /** Bytes of one image (output or input). */
  maxImageBytes: 4 * MIB,
  /** Pixels on the longer side of one image. */
  maxImageSide: 2048,
  /** The whole multipart body: two images plus room for the framing and the text fields. */
  maxBodyBytes: 2 * 4 * MIB + 64 * 1024,
});

/** Image types a share may hold, checked by declared type and by magic bytes. */
export const SHARE_IMAGE_TYPES = ["image/jpeg", "image/png", "image/webp"] as const;
export type ShareImageType = (typeof SHARE_IMAGE_TYPES)[number];

// ---------------------------------------------------------------- errors

/** Every `error.code` the API answers with; a new failure gets a new code here. */
export const ERROR_CODES = [
  // generic, by status (thrown without a code, e.g. by Hono's middleware)
  "bad_request",
  "unauthorized",
  "forbidden",
  "not_found",
  "method_not_allowed",
  "gone",
  "payload_too_large",
  "unsupported_media_type",
  "range_not_satisfiable",
  "rate_limited",
  "internal_error",
  "unavailable",
  // storage out of step (503)
  "manifest_missing",
  "manifest_invalid",
  "file_inconsistent",
  // models and model files
  "bad_query",
  "unknown_model",
  "no_fitting_variant",
  "unknown_file",
  "file_missing",
  // share uploads
  "bad_field",
  "bad_multipart",
  "unknown_variant",
  "image_too_large",
  "unsupported_image_type",
  "not_an_image",
  "content_type_mismatch",
  "truncated_image",
  "corrupt_image",
  "image_dimensions",
  // shares
  "unknown_share",
  "share_expired",
  "no_image",
  "missing_token",
  "wrong_token",
] as const;
export const ErrorCode = z.enum(ERROR_CODES);
export type ErrorCode = z.infer<typeof ErrorCode>;

/** The one error shape: `{ error: { code, message } }`. */
export const ErrorBody = z.object({
  error: z.object({ code: ErrorCode, message: z.string() }),
});
export type ErrorBody = z.infer<typeof ErrorBody>;

// ---------------------------------------------------------------- shares

/** 128 random bits, base64url. */
export const ShareId = z.string().check(z.regex(/^[A-Za-z0-9_-]{22}$/));
/** 256 random bits, base64url. */
export const DeleteToken = z.string().check(z.regex(/^[A-Za-z0-9_-]{43}$/));

/** The API path of a share (GET, DELETE); `/output` and `/input` below it are its images. */
export const sharePath = (id: string) => `/api/v1/shares/${encodeURIComponent(id)}`;
/** The link people paste: an Open Graph page that opens the site's share view. */
export const shareLinkPath = (id: string) => `/s/${encodeURIComponent(id)}`;

/** 201 from POST /api/v1/shares. */
export const ShareCreated = z.object({
  id: ShareId,
  /** `<site origin>/s/<id>`, absolute. */
  url: z.url(),
  /** Shown once; DELETE needs it as a bearer token. Only its sha256 is stored. */
  deleteToken: DeleteToken,
  expiresAt: z.iso.datetime(),
});
export type ShareCreated = z.infer<typeof ShareCreated>;

/** GET /api/v1/shares/:id: what anyone with the link may see (never the token). */
export const ShareView = z.object({
  id: ShareId,
  modelId: z.string().check(z.minLength(1)),
  direction: z.enum(DIRECTIONS),
  variant: z.enum(DTYPES),
  createdAt: z.iso.datetime(),
  expiresAt: z.iso.datetime(),
  /** Site-relative path of the output image. */
  outputUrl: z.string(),
  /** Site-relative path of the input image; null when none was shared. */
  inputUrl: z.nullable(z.string()),
});
export type ShareView = z.infer<typeof ShareView>;

/** The text fields of POST /api/v1/shares (multipart; `output` and `input` are files). */
export const ShareFields = z.object({
  modelId: z.string().check(z.minLength(1)),
  direction: z.enum(DIRECTIONS),
  variant: z.enum(DTYPES),
});
