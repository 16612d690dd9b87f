/**
 * The OpenAPI 3.1 document: paths written next to the routes they describe (a
 * test compares them with the routes the app registers); every schema
 * generated from the zod schemas the worker and site use (models/schema.ts,
 * models/api.ts), so the document follows them.
 */
import { z } from "zod";
import {
  ErrorBody,
  SHARE_IMAGE_TYPES,
  SHARE_LIMITS,
  ShareCreated,
  ShareFields,
  ShareView,
} from "../../models/api.ts";
import { Manifest, ModelEntry } from "../../models/schema.ts";
import { F16_VALUES } from "./routes/models.ts";

type JsonSchema = z.core.JSONSchema.BaseSchema;

/** One JSON Schema per component, `$ref`s between them; without `$schema`/`$id` (OpenAPI supplies both). */
function componentSchemas(named: Record<string, z.core.$ZodType>): Record<string, JsonSchema> {
  const registry = z.registry<{ id: string }>();
  for (const [id, schema] of Object.entries(named)) registry.add(schema, { id });
  const { schemas } = z.toJSONSchema(registry, {
    uri: (id) => `#/components/schemas/${id}`,
    io: "output",
  });
  return Object.fromEntries(
    Object.entries(schemas).map(([id, { $schema: _s, $id: _i, ...schema }]) => [id, schema]),
  );
}

const COMPONENTS = { Manifest, ModelEntry, ShareCreated, ShareView, Error: ErrorBody };
const SCHEMAS = componentSchemas(COMPONENTS);
const ref = (id: keyof typeof COMPONENTS) => ({ $ref: `#/components/schemas/${id}` });

/** The multipart form of POST /api/v1/shares: ShareFields' text fields plus the two files. */
function shareForm(): JsonSchema {
  const { $schema: _, ...fields } = z.toJSONSchema(ShareFields, { io: "input" });
  const mib = SHARE_LIMITS.maxImageBytes / 2 ** 20;
  const rules =
    `${SHARE_IMAGE_TYPES.join(", ")}; at most ${mib} MiB and ${SHARE_LIMITS.maxImageSide} px a side. ` +
    "Stored without its EXIF (GPS included), XMP, IPTC and comments; the ICC profile and EXIF orientation are kept.";
  return {
    ...fields,
    required: [...(fields.required ?? []), "output"],
    properties: {
      ...fields.properties,
      output: { type: "string", format: "binary", description: `The translation: ${rules}` },
      input: { type: "string", format: "binary", description: "Optional; the same rules." },
    },
  };
}

const error = { $ref: "#/components/responses/Error" };
const json = (schema: object) => ({ "application/json": { schema } });
/** 503: storage does not hold what the API needs (a server-side fault, not the client's). */
const unavailable = (...codes: string[]) => ({
  description: `Storage is out of step: ${codes.join(", ")}.`,
  content: json(ref("Error")),
});
const noManifest = unavailable(
  "manifest_missing (no manifest.json)",
  "manifest_invalid (it fails the schema)",
);
const idParam = (name: string, description: string) => ({
  name,
  in: "path",
  required: true,
  schema: { type: "string" },
  description,
});

const clientQuery = [
  {
    name: "provider",
    in: "query",
    schema: { type: "string", enum: ["webgpu", "wasm"] },
    description: "Narrow each generator to the one variant that fits this execution provider.",
  },
  {
    name: "f16",
    in: "query",
    schema: { type: "string", enum: [...F16_VALUES.keys()] },
    description:
      "The WebGPU adapter has the shader-f16 feature (1) or not (0). Only with provider=webgpu; otherwise 400.",
  },
];

const fileResponses = {
  "200": {
    description:
      "The whole file (also when Range names several ranges or is malformed, and always for HEAD).",
  },
  "206": { description: "One byte range (GET only); Content-Range says which." },
  "304": { description: "If-None-Match matched the ETag (the file's sha256)." },
  "404": error,
  "416": { description: "The range starts past the end; Content-Range: bytes */<size>." },
  "503": unavailable(
    "manifest_missing",
    "manifest_invalid",
    "file_inconsistent (the stored object's size or recorded sha256 differs from the manifest)",
  ),
};

const notModified = { description: "If-None-Match matched the image's ETag." };

const image = {
  description: "The stored JPEG, PNG or WebP image (its EXIF, XMP, IPTC and comments removed).",
  content: { "image/*": { schema: { type: "string", format: "binary" } } },
};

export const OPENAPI = {
  openapi: "3.1.0",
  info: {
    title: "Unpaired edge API",
    version: "1.0.0",
    description:
      "Model manifest, model file downloads and share links. Errors are {error: {code, message}}. " +
      "A method a path does not list: 405 method_not_allowed with an Allow header naming the ones it has " +
      "(static site files: 405 with Allow: GET, HEAD).",
  },
  paths: {
    "/api/v1/models": {
      get: {
        summary: "The model manifest (models/schema.ts), strong ETag, 304 on If-None-Match.",
        parameters: clientQuery,
        responses: {
          "200": {
            description: "The manifest.",
            content: json(ref("Manifest")),
          },
          "304": { description: "Not modified." },
          "400": error,
          "503": noManifest,
        },
      },
    },
    "/api/v1/models/{id}": {
      get: {
        summary: "One manifest entry.",
        parameters: [idParam("id", "Model id."), ...clientQuery],
        responses: {
          "200": { description: "The entry.", content: json(ref("ModelEntry")) },
          "304": { description: "Not modified." },
          "400": error,
          "404": error,
          "503": noManifest,
        },
      },
    },
    "/models/{id}/{file}": {
      get: {
        summary: "Download a model file named in the manifest (Range, ETag, Repr-Digest).",
        parameters: [idParam("id", "Model id."), idParam("file", "A variant's file name.")],
        responses: fileResponses,
      },
      head: {
        summary: "Headers of a model file.",
        parameters: [idParam("id", "Model id."), idParam("file", "A variant's file name.")],
        responses: fileResponses,
      },
    },
    "/api/v1/shares": {
      post: {
        summary: `Share a translation. Rate limited per client; the body is at most ${SHARE_LIMITS.maxBodyBytes} bytes.`,
        requestBody: {
          required: true,
          content: { "multipart/form-data": { schema: shareForm() } },
        },
        responses: {
          "201": {
            description: "Created; Location is the share's API path, url the link to paste.",
            content: json(ref("ShareCreated")),
          },
          "400": error,
          "413": error,
          "415": error,
          "429": error,
          "503": noManifest,
        },
      },
    },
    "/api/v1/shares/{id}": {
      get: {
        summary: "A share's metadata.",
        parameters: [idParam("id", "Share id.")],
        responses: {
          "200": { description: "Metadata.", content: json(ref("ShareView")) },
          "404": error,
          "410": error,
        },
      },
      delete: {
        summary: "Delete a share; needs Authorization: Bearer <deleteToken>.",
        parameters: [idParam("id", "Share id.")],
        responses: { "204": { description: "Deleted." }, "401": error, "403": error, "404": error },
      },
    },
    "/api/v1/shares/{id}/output": {
      get: {
        summary: "The shared output image (Cache-Control: no-cache; revalidate with the ETag).",
        parameters: [idParam("id", "Share id.")],
        responses: { "200": image, "304": notModified, "404": error, "410": error },
      },
    },
    "/api/v1/shares/{id}/input": {
      get: {
        summary: "The shared input image, when one was shared.",
        parameters: [idParam("id", "Share id.")],
        responses: { "200": image, "304": notModified, "404": error, "410": error },
      },
    },
    "/s/{id}": {
      get: {
        summary: "A small HTML page with Open Graph tags that opens the site's share view.",
        parameters: [idParam("id", "Share id.")],
        responses: {
          "200": { description: "HTML.", content: { "text/html": { schema: { type: "string" } } } },
          "404": { description: "The site's share view (HTML), saying the share does not exist." },
          "410": { description: "The site's share view (HTML), saying the share expired." },
          "503": noManifest,
        },
      },
    },
    "/api/v1/openapi.json": {
      get: { summary: "This document.", responses: { "200": { description: "OpenAPI 3.1." } } },
    },
  },
  components: {
    schemas: SCHEMAS,
    responses: {
      Error: { description: "An error.", content: json(ref("Error")) },
    },
  },
} as const;
