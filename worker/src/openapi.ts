/**
 * The OpenAPI 3.1 document, hand-written next to the routes it describes.
 * A test compares it with the routes the app registers.
 */
import { F16_VALUES } from "./routes/models.ts";

const error = { $ref: "#/components/responses/Error" };
const json = (schema: object) => ({ "application/json": { schema } });
/** 503: storage does not hold what the API needs (a server-side fault, not the client's). */
const unavailable = (...codes: string[]) => ({
  description: `Storage is out of step: ${codes.join(", ")}.`,
  content: json({ $ref: "#/components/schemas/Error" }),
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

const shareMeta = {
  type: "object",
  required: [
    "id",
    "modelId",
    "direction",
    "variant",
    "createdAt",
    "expiresAt",
    "outputUrl",
    "inputUrl",
  ],
  properties: {
    id: { type: "string" },
    modelId: { type: "string" },
    direction: { type: "string", enum: ["AtoB", "BtoA"] },
    variant: { type: "string", enum: ["fp32", "fp16", "int8"] },
    createdAt: { type: "string", format: "date-time" },
    expiresAt: { type: "string", format: "date-time" },
    outputUrl: { type: "string" },
    inputUrl: { type: ["string", "null"] },
  },
};

const notModified = { description: "If-None-Match matched the image's ETag." };

const image = {
  description: "The stored JPEG, PNG or WebP image (its EXIF, XMP and IPTC metadata removed).",
  content: { "image/*": { schema: { type: "string", format: "binary" } } },
};

export const OPENAPI = {
  openapi: "3.1.0",
  info: {
    title: "Unpaired edge API",
    version: "1.0.0",
    description:
      "Model manifest, model file downloads and share links. Errors are {error: {code, message}}. " +
      "A method a path does not list: 405 method_not_allowed with an Allow header naming the ones it has.",
  },
  paths: {
    "/api/v1/models": {
      get: {
        summary: "The model manifest (models/schema.ts), strong ETag, 304 on If-None-Match.",
        parameters: clientQuery,
        responses: {
          "200": {
            description: "The manifest.",
            content: json({ $ref: "#/components/schemas/Manifest" }),
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
          "200": { description: "The entry.", content: json({ type: "object" }) },
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
        summary: "Share a translation. Rate limited per client; body size limited.",
        requestBody: {
          required: true,
          content: {
            "multipart/form-data": {
              schema: {
                type: "object",
                required: ["modelId", "direction", "variant", "output"],
                properties: {
                  modelId: { type: "string" },
                  direction: { type: "string", enum: ["AtoB", "BtoA"] },
                  variant: { type: "string", enum: ["fp32", "fp16", "int8"] },
                  output: {
                    type: "string",
                    format: "binary",
                    description:
                      "JPEG/PNG/WebP, <= 2048 px a side. Stored without its EXIF (GPS included), " +
                      "XMP and IPTC metadata; the ICC profile and EXIF orientation are kept.",
                  },
                  input: { type: "string", format: "binary", description: "Optional; same rules." },
                },
              },
            },
          },
        },
        responses: {
          "201": {
            description: "Created.",
            content: json({
              type: "object",
              required: ["id", "url", "deleteToken", "expiresAt"],
              properties: {
                id: { type: "string" },
                url: { type: "string" },
                deleteToken: { type: "string" },
                expiresAt: { type: "string", format: "date-time" },
              },
            }),
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
          "200": { description: "Metadata.", content: json(shareMeta) },
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
          "404": { description: "HTML page saying the share does not exist." },
          "410": { description: "HTML page saying the share expired." },
          "503": noManifest,
        },
      },
    },
    "/api/v1/openapi.json": {
      get: { summary: "This document.", responses: { "200": { description: "OpenAPI 3.1." } } },
    },
  },
  components: {
    schemas: {
      Manifest: {
        type: "object",
        description: "See models/schema.ts (Manifest) for every field.",
        required: ["schemaVersion", "models"],
        properties: {
          schemaVersion: { const: 1 },
          models: { type: "array", items: { type: "object" } },
        },
      },
      Error: {
        type: "object",
        required: ["error"],
        properties: {
          error: {
            type: "object",
            required: ["code", "message"],
            properties: { code: { type: "string" }, message: { type: "string" } },
          },
        },
      },
    },
    responses: {
      Error: { description: "An error.", content: json({ $ref: "#/components/schemas/Error" }) },
    },
  },
} as const;
