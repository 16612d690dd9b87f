/**
 * Rejected share uploads in the real Workers runtime: every kind of bad
 * field, type, image and body gets its 4xx and error code, never a 5xx.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningWorker, startWorker } from "../../scripts/lib/worker-server.ts";
import { image, photo } from "./fixtures.ts";
import { errorOf, rawRequest, uploadChunked } from "./http.ts";
import { base, type Fields, form, nextIp, png, postShare, seed } from "./share-client.ts";

let worker: RunningWorker;
const post = (fields: Fields, ip?: string) => postShare(worker.url, fields, ip);

beforeAll(async () => {
  worker = await startWorker({ seed });
});
afterAll(() => worker?.stop());

async function pngClaiming(w: number, h: number): Promise<Uint8Array> {
  const bytes = await image(4, 4, "png");
  const view = new DataView(bytes.buffer, bytes.byteOffset);
  view.setUint32(16, w);
  view.setUint32(20, h);
  return bytes;
}

describe("rejected uploads (never a 5xx)", () => {
  const cases: [string, () => Promise<Fields>, number, string][] = [
    ["no output", async () => base, 400, "bad_field"],
    ["output as text", async () => ({ ...base, output: "hello" }), 400, "bad_field"],
    [
      "unknown model",
      async () => ({ ...base, modelId: "nope", output: await png(8, 8) }),
      400,
      "unknown_model",
    ],
    [
      "bad direction",
      async () => ({ ...base, direction: "AtoC", output: await png(8, 8) }),
      400,
      "bad_field",
    ],
    [
      "bad variant",
      async () => ({ ...base, variant: "fp64", output: await png(8, 8) }),
      400,
      "bad_field",
    ],
    [
      "variant the model lacks",
      async () => ({ ...base, modelId: "small", variant: "fp32", output: await png(8, 8) }),
      400,
      "unknown_variant",
    ],
    [
      "GIF (wrong type)",
      async () => ({
        ...base,
        output: { bytes: new TextEncoder().encode("GIF89a\x01\x00\x01\x00"), type: "image/gif" },
      }),
      415,
      "unsupported_image_type",
    ],
    [
      "PNG sent as image/jpeg (lying Content-Type)",
      async () => ({ ...base, output: { ...(await png(8, 8)), type: "image/jpeg" } }),
      415,
      "content_type_mismatch",
    ],
    [
      "text sent as image/png (not an image)",
      async () => ({
        ...base,
        output: { bytes: new TextEncoder().encode("<svg onload=alert(1)>"), type: "image/png" },
      }),
      415,
      "not_an_image",
    ],
    [
      "empty file",
      async () => ({ ...base, output: { bytes: new Uint8Array(0), type: "image/png" } }),
      415,
      "not_an_image",
    ],
    [
      "truncated PNG",
      async () => ({
        ...base,
        output: { bytes: (await image(64, 64, "png")).slice(0, 60), type: "image/png" },
      }),
      400,
      "truncated_image",
    ],
    [
      "truncated JPEG",
      async () => {
        const jpeg = await image(64, 64, "jpeg");
        return { ...base, output: { bytes: jpeg.slice(0, jpeg.length - 200), type: "image/jpeg" } };
      },
      400,
      "truncated_image",
    ],
    [
      "truncated WebP",
      async () => {
        const webp = await image(64, 64, "webp");
        return { ...base, output: { bytes: webp.slice(0, webp.length - 10), type: "image/webp" } };
      },
      400,
      "truncated_image",
    ],
    [
      "truncated phone JPEG (with EXIF)",
      async () => {
        const jpeg = await photo(64, 64, "jpeg");
        return { ...base, output: { bytes: jpeg.slice(0, jpeg.length - 200), type: "image/jpeg" } };
      },
      400,
      "truncated_image",
    ],
    [
      "JPEG whose segment after the frame header runs past the end",
      async () => {
        // The header probe stops at the frame header; the metadata walk goes on to the scan.
        const jpeg = await image(64, 64, "jpeg");
        const sof = Buffer.from(jpeg).indexOf(Buffer.from([0xff, 0xc0]));
        const end = sof + 2 + ((jpeg[sof + 2] ?? 0) << 8) + (jpeg[sof + 3] ?? 0);
        const bogus = new Uint8Array([0xff, 0xe1, 0xff, 0xf0, 0x45, 0x78]);
        const bytes = new Uint8Array(
          Buffer.concat([jpeg.subarray(0, end), bogus, jpeg.subarray(end)]),
        );
        return { ...base, output: { bytes, type: "image/jpeg" } };
      },
      400,
      "corrupt_image",
    ],
    [
      "PNG 2049 px wide",
      async () => ({ ...base, output: await png(2049, 8) }),
      400,
      "image_dimensions",
    ],
    [
      "JPEG 3000 px high",
      async () => ({
        ...base,
        output: { bytes: await image(8, 3000, "jpeg"), type: "image/jpeg" },
      }),
      400,
      "image_dimensions",
    ],
    [
      "WebP 2100 px wide",
      async () => ({
        ...base,
        output: { bytes: await image(2100, 4, "webp"), type: "image/webp" },
      }),
      400,
      "image_dimensions",
    ],
    [
      "small PNG whose header claims 100000 x 100000",
      async () => ({
        ...base,
        output: { bytes: await pngClaiming(100_000, 100_000), type: "image/png" },
      }),
      400,
      "image_dimensions",
    ],
    [
      "PNG header claiming 0 px",
      async () => ({ ...base, output: { bytes: await pngClaiming(0, 10), type: "image/png" } }),
      400,
      "corrupt_image",
    ],
    [
      "bad input image next to a good output",
      async () => ({
        ...base,
        output: await png(8, 8),
        input: { bytes: new Uint8Array(10), type: "image/webp" },
      }),
      415,
      "not_an_image",
    ],
    [
      "image over 4 MiB",
      async () => ({
        ...base,
        output: { bytes: new Uint8Array(4 * 2 ** 20 + 1), type: "image/png" },
      }),
      413,
      "image_too_large",
    ],
  ];

  it.each(cases)("%s", async (_name, fields, status, code) => {
    const res = await post(await fields());
    expect(res.status).toBe(status);
    expect((await errorOf(res)).code).toBe(code);
  });

  it("a body that is not multipart is a 415", async () => {
    const res = await fetch(`${worker.url}/api/v1/shares`, {
      method: "POST",
      headers: { "Content-Type": "application/json", "CF-Connecting-IP": nextIp() },
      body: JSON.stringify(base),
    });
    expect(res.status).toBe(415);
    expect((await errorOf(res)).code).toBe("unsupported_media_type");
  });

  it("a multipart body cut short is a 400", async () => {
    const whole = new Request("http://x/", {
      method: "POST",
      body: form({ ...base, output: await png(8, 8) }),
    });
    const type = whole.headers.get("content-type") ?? "";
    const body = new Uint8Array(await whole.arrayBuffer());
    const res = await fetch(`${worker.url}/api/v1/shares`, {
      method: "POST",
      headers: { "Content-Type": type, "CF-Connecting-IP": nextIp() },
      body: body.slice(0, body.length - 60),
    });
    expect(res.status).toBe(400);
    expect((await errorOf(res)).code).toBe("bad_multipart");
  });

  // The worker refuses these without reading them (tests/worker/body-limit.test.ts
  // counts the bytes it reads). wrangler dev's proxy answers a Content-Length
  // body once the client has sent it all, so send it all.
  it("a 64 MiB body with Content-Length is a 413", async () => {
    const res = await rawRequest(worker.url, "/api/v1/shares", {
      method: "POST",
      headers: { "Content-Type": "multipart/form-data; boundary=x", "CF-Connecting-IP": nextIp() },
      body: new Uint8Array(64 * 2 ** 20),
    });
    expect(res.status).toBe(413);
    expect(JSON.parse(res.body.toString()).error.code).toBe("payload_too_large");
  });

  // A chunked body cannot be skipped: the runtime answers 413 and drops the
  // connection, which a client still sending often sees as a reset instead.
  // A chunked body cannot be skipped: the worker answers 413 and stops reading.
  // Locally the client then sees the 413, a reset, or, when the reset reaches
  // Miniflare's own dev entry worker first, that entry's plain-text 500
  // "Network connection lost" (not the app's: app errors are JSON).
  it("a 256 MiB chunked body is cut off long before its end", async () => {
    // Buffers between client and worker (proxy, runtime, kernel) hold up to ~30 MiB.
    const total = 256 * 2 ** 20;
    const { outcome, body, handedOver } = await uploadChunked(
      worker.url,
      "/api/v1/shares",
      { "Content-Type": "multipart/form-data; boundary=x", "CF-Connecting-IP": nextIp() },
      total,
    );
    if (outcome === 413) expect(JSON.parse(body).error.code).toBe("payload_too_large");
    else if (outcome === 500)
      expect(body).toMatch(/^Error: Network connection lost\.\n\s+at .*miniflare/);
    else expect(["ECONNRESET", "EPIPE"]).toContain(outcome);
    expect(handedOver).toBeLessThan(total / 4);
  });
});
