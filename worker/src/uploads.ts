/**
 * Reading a share upload: the multipart form, its enumerated fields, and each
 * image checked by size, declared type, magic bytes, completeness and pixel
 * dimensions (from the header), then stripped of EXIF/XMP/IPTC metadata
 * (image-metadata.ts), before anything is stored.
 */
import type { Context } from "hono";
import { SHARE_IMAGE_TYPES, SHARE_LIMITS } from "../../models/api.ts";
import type { AppEnv } from "./env.ts";
import { ApiError, echo } from "./errors.ts";
import { stripMetadata } from "./image-metadata.ts";
import { type ImageInfo, probeImage } from "./images.ts";

const { maxImageBytes, maxImageSide } = SHARE_LIMITS;

/** A text field that must be one of an enum schema's values (ShareFields' direction, variant). */
export function oneOf<T extends string>(
  form: FormData,
  name: string,
  schema: { options: readonly T[] },
): T {
  const value = form.get(name);
  if (typeof value !== "string" || !schema.options.includes(value as T)) {
    throw new ApiError(
      400,
      "bad_field",
      `Field "${name}" must be one of: ${schema.options.join(", ")} (got ${typeof value === "string" ? `"${echo(value, 40)}"` : "nothing"}).`,
    );
  }
  return value as T;
}

export async function readImage(
  form: FormData,
  name: string,
): Promise<{ info: ImageInfo; bytes: Uint8Array } | null> {
  const file = form.get(name);
  // A browser sends a file input left empty as a part with filename="" and no
  // bytes; workerd parses that as the string "", other parsers as a nameless
  // empty File. Either is no file, not a bad one.
  const empty = file === "" || (file instanceof File && file.name === "" && file.size === 0);
  if (file === null || empty) return null;
  if (typeof file === "string")
    throw new ApiError(400, "bad_field", `Field "${name}" must be a file.`);
  if (file.size > maxImageBytes) {
    throw new ApiError(413, "image_too_large", `"${name}" is over ${maxImageBytes / 2 ** 20} MiB.`);
  }
  const declared = file.type.split(";")[0]?.trim().toLowerCase() ?? "";
  if (!(SHARE_IMAGE_TYPES as readonly string[]).includes(declared)) {
    throw new ApiError(
      415,
      "unsupported_image_type",
      `"${name}" is ${echo(declared) || "untyped"}; send one of: ${SHARE_IMAGE_TYPES.join(", ")}.`,
    );
  }
  const bytes = new Uint8Array(await file.arrayBuffer());
  const probe = probeImage(bytes);
  if (!probe.ok && probe.problem === "not_an_image") {
    throw new ApiError(415, "not_an_image", `"${name}" is not a JPEG, PNG or WebP image.`);
  }
  if (!probe.ok) {
    const code = probe.problem === "truncated" ? "truncated_image" : "corrupt_image";
    throw new ApiError(400, code, `"${name}" is a ${probe.problem} ${declared} file.`);
  }
  const { info } = probe;
  if (info.type !== declared) {
    throw new ApiError(
      415,
      "content_type_mismatch",
      `"${name}" is sent as ${declared} but is ${info.type}.`,
    );
  }
  if (info.width > maxImageSide || info.height > maxImageSide) {
    throw new ApiError(
      400,
      "image_dimensions",
      `"${name}" is ${info.width}x${info.height} px; at most ${maxImageSide} px a side.`,
    );
  }
  // Shares are public: a phone photo's EXIF (GPS, camera, time) must not go with it.
  const stripped = stripMetadata(bytes, info.type);
  if (!stripped) {
    throw new ApiError(400, "corrupt_image", `"${name}" is a corrupt ${declared} file.`);
  }
  return { info, bytes: stripped };
}

export async function readForm(c: Context<AppEnv>): Promise<FormData> {
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
