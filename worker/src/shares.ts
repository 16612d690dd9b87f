/**
 * Shares in R2: `shares/<id>/output`, optional `shares/<id>/input`, and
 * `shares/<id>/meta.json` written last, so a share exists only when complete.
 * Ids and delete tokens are random (128 and 256 bits); only the token's
 * sha256 is stored.
 */
import * as z from "zod/mini";
import { SHARE_IMAGE_TYPES, ShareId, ShareView } from "../../models/api.ts";
import type { Direction, Dtype } from "../../models/schema.ts";
import type { ImageInfo } from "./images.ts";
import { shareKey } from "./keys.ts";

const Pixels = z.int().check(z.positive());
const StoredImage = z.object({
  type: z.enum(SHARE_IMAGE_TYPES),
  width: Pixels,
  height: Pixels,
  bytes: Pixels,
});

/** `meta.json`: the public view's fields, the token's hash and what each image is. */
const ShareMeta = z.extend(
  z.pick(ShareView, {
    id: true,
    modelId: true,
    direction: true,
    variant: true,
    createdAt: true,
    expiresAt: true,
  }),
  {
    deleteTokenSha256: z.string().check(z.regex(/^[0-9a-f]{64}$/)),
    output: StoredImage,
    input: z.nullable(StoredImage),
  },
);
export type ShareMeta = z.infer<typeof ShareMeta>;

export interface NewShare {
  modelId: string;
  direction: Direction;
  variant: Dtype;
  output: { info: ImageInfo; bytes: Uint8Array };
  input: { info: ImageInfo; bytes: Uint8Array } | null;
}

const base64url = (bytes: Uint8Array) =>
  btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "");

const randomToken = (n: number) => base64url(crypto.getRandomValues(new Uint8Array(n)));

async function sha256Hex(text: string): Promise<string> {
  const digest = new Uint8Array(
    await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)),
  );
  return [...digest].map((b) => b.toString(16).padStart(2, "0")).join("");
}

export async function createShare(
  bucket: R2Bucket,
  share: NewShare,
  ttlSeconds: number,
  now = Date.now(),
): Promise<{ meta: ShareMeta; deleteToken: string }> {
  const id = randomToken(16);
  const deleteToken = randomToken(32);
  const stored = (part: "output" | "input", image: { info: ImageInfo; bytes: Uint8Array }) =>
    bucket.put(shareKey(id, part), image.bytes, {
      httpMetadata: { contentType: image.info.type },
    });
  await stored("output", share.output);
  if (share.input) await stored("input", share.input);
  const meta: ShareMeta = {
    id,
    modelId: share.modelId,
    direction: share.direction,
    variant: share.variant,
    createdAt: new Date(now).toISOString(),
    expiresAt: new Date(now + ttlSeconds * 1000).toISOString(),
    deleteTokenSha256: await sha256Hex(deleteToken),
    output: { ...share.output.info, bytes: share.output.bytes.byteLength },
    input: share.input ? { ...share.input.info, bytes: share.input.bytes.byteLength } : null,
  };
  await bucket.put(shareKey(id, "meta.json"), JSON.stringify(meta), {
    httpMetadata: { contentType: "application/json" },
  });
  return { meta, deleteToken };
}

export type Lookup =
  | { state: "missing" }
  | { state: "expired"; meta: ShareMeta }
  | { state: "live"; meta: ShareMeta };

export async function findShare(bucket: R2Bucket, id: string, now = Date.now()): Promise<Lookup> {
  if (!ShareId.safeParse(id).success) return { state: "missing" };
  const object = await bucket.get(shareKey(id, "meta.json"));
  if (!object) return { state: "missing" };
  // Only this worker writes it; failing the schema is a fault here, not the client's (500).
  const meta = ShareMeta.parse(await object.json());
  return Date.parse(meta.expiresAt) <= now ? { state: "expired", meta } : { state: "live", meta };
}

export function deleteShare(bucket: R2Bucket, id: string): Promise<void> {
  // meta.json first: the share disappears at once even if a later delete fails.
  return bucket
    .delete(shareKey(id, "meta.json"))
    .then(() => bucket.delete([shareKey(id, "output"), shareKey(id, "input")]));
}

/** Constant-time check of a presented delete token against the stored hash. */
export async function tokenMatches(meta: ShareMeta, token: string): Promise<boolean> {
  const enc = new TextEncoder();
  const [a, b] = [enc.encode(await sha256Hex(token)), enc.encode(meta.deleteTokenSha256)];
  return a.byteLength === b.byteLength && crypto.subtle.timingSafeEqual(a, b);
}
