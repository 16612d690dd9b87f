/**
 * Share links in the real Workers runtime: create, read, images, the Open
 * Graph page, delete with the token, accepted formats, bad ids, expiry and the
 * per-client rate limit, metadata (EXIF/XMP) removed from stored images.
 * Rejected uploads: share-uploads.test.ts.
 */
import { createHash } from "node:crypto";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningWorker, startWorker } from "../../scripts/lib/worker-server.ts";
import { clientKey } from "../../worker/src/middleware/rate-limit.ts";
import { image, MIME, photo } from "./fixtures.ts";
import { errorOf } from "./http.ts";
import {
  base,
  browserForm,
  type Created,
  type Fields,
  form,
  nextIp,
  type Part,
  png,
  postShare,
  seed,
} from "./share-client.ts";

let worker: RunningWorker;
const post = (fields: Fields, ip?: string) => postShare(worker.url, fields, ip);

beforeAll(async () => {
  worker = await startWorker({ seed });
});
afterAll(() => worker?.stop());

describe("a share's life", () => {
  let output: Part;
  let input: Part;
  let created: Created;

  beforeAll(async () => {
    output = await png(64, 48);
    input = { bytes: await image(64, 48, "jpeg"), type: "image/jpeg" };
    const res = await post({ ...base, output, input });
    expect(res.status).toBe(201);
    created = (await res.json()) as Created;
    expect(res.headers.get("location")).toBe(`/api/v1/shares/${created.id}`);
  });

  it("returns an unguessable id, the /s/ url, a delete token and a 30-day expiry", () => {
    expect(created.id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    // The first of wrangler.toml's SITE_ORIGINS, not this test server's address.
    expect(created.url).toBe(`http://127.0.0.1:8787/s/${created.id}`);
    expect(created.deleteToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const days = (Date.parse(created.expiresAt) - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(29.99);
    expect(days).toBeLessThanOrEqual(30);
  });

  it("GET /api/v1/shares/:id gives the metadata and nothing secret", async () => {
    const res = await fetch(`${worker.url}/api/v1/shares/${created.id}`);
    expect(res.status).toBe(200);
    const meta = (await res.json()) as Record<string, unknown>;
    expect(meta).toEqual({
      id: created.id,
      modelId: "demo",
      direction: "AtoB",
      variant: "int8",
      createdAt: expect.any(String),
      expiresAt: created.expiresAt,
      outputUrl: `/api/v1/shares/${created.id}/output`,
      inputUrl: `/api/v1/shares/${created.id}/input`,
    });
    expect(JSON.stringify(meta)).not.toContain(created.deleteToken);
  });

  it("serves both images byte for byte, with CORP for isolated pages and 304s", async () => {
    for (const [part, sent] of [
      ["output", output],
      ["input", input],
    ] as const) {
      const res = await fetch(`${worker.url}/api/v1/shares/${created.id}/${part}`);
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toBe(sent.type);
      expect(res.headers.get("cross-origin-resource-policy")).toBe("cross-origin");
      // Revalidated on every use, so a deleted share stops being shown at once.
      expect(res.headers.get("cache-control")).toBe("public, no-cache");
      expect(new Uint8Array(await res.arrayBuffer())).toEqual(sent.bytes);
      const etag = res.headers.get("etag") ?? "";
      const again = await fetch(`${worker.url}/api/v1/shares/${created.id}/${part}`, {
        headers: { "If-None-Match": etag },
      });
      expect(again.status).toBe(304);
      expect(again.headers.get("cache-control")).toBe("public, no-cache");
    }
  });

  it("GET /s/:id is an Open Graph page that opens the site's share view", async () => {
    const res = await fetch(`${worker.url}/s/${created.id}`, { redirect: "manual" });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/html/);
    expect(res.headers.get("content-security-policy")).toContain("default-src 'self'");
    const page = await res.text();
    const og = (p: string) =>
      new RegExp(`<meta property="og:${p}" content="([^"]*)"`).exec(page)?.[1];
    expect(og("image")).toBe(`http://127.0.0.1:8787/api/v1/shares/${created.id}/output`);
    expect(og("image:width")).toBe("64");
    expect(og("image:height")).toBe("48");
    expect(og("title")).toBe("Model demo: apples → oranges");
    expect(og("url")).toBe(created.url);
    expect(page).toContain(`<meta http-equiv="refresh" content="0; url=/share?id=${created.id}">`);
    expect(page).toContain(`href="/share?id=${created.id}"`);
  });

  it("DELETE needs the token: 401 without, 403 wrong, 204 right, then all 404", async () => {
    const del = (auth?: string) =>
      fetch(`${worker.url}/api/v1/shares/${created.id}`, {
        method: "DELETE",
        headers: auth ? { Authorization: auth } : {},
      });
    const none = await del();
    expect(none.status).toBe(401);
    expect(none.headers.get("www-authenticate")).toMatch(/^Bearer/);
    expect((await errorOf(none)).code).toBe("missing_token");
    const wrong = await del(`Bearer ${created.deleteToken.slice(0, -1)}x`);
    expect(wrong.status).toBe(403);
    expect((await errorOf(wrong)).code).toBe("wrong_token");
    expect((await del(`Basic ${created.deleteToken}`)).status).toBe(401);
    expect((await fetch(`${worker.url}/api/v1/shares/${created.id}`)).status).toBe(200);

    const ok = await del(`Bearer ${created.deleteToken}`);
    expect(ok.status).toBe(204);
    for (const path of [
      `/api/v1/shares/${created.id}`,
      `/api/v1/shares/${created.id}/output`,
      `/api/v1/shares/${created.id}/input`,
      `/s/${created.id}`,
    ]) {
      expect((await fetch(`${worker.url}${path}`)).status, path).toBe(404);
    }
    // The link people kept is the site's own share view (styled, it says the share is gone).
    const link = await fetch(`${worker.url}/s/${created.id}`);
    expect(link.headers.get("content-type")).toMatch(/^text\/html/);
    const page = await link.text();
    expect(page).toMatch(/<link rel="stylesheet" href="\/_astro\/[^"]+\.css"/);
    expect(page).toContain('id="share-state"');
    expect((await del(`Bearer ${created.deleteToken}`)).status).toBe(404);
  });
});

describe("accepted uploads", () => {
  it.each(["png", "jpeg", "webp", "webp-lossless"] as const)(
    "%s output without input",
    async (format) => {
      const bytes = await image(2048, 7, format);
      const res = await post({ ...base, output: { bytes, type: MIME[format] } });
      expect(res.status).toBe(201);
      const { id } = (await res.json()) as Created;
      const meta = (await (await fetch(`${worker.url}/api/v1/shares/${id}`)).json()) as {
        inputUrl: unknown;
      };
      expect(meta.inputUrl).toBeNull();
      const input = await fetch(`${worker.url}/api/v1/shares/${id}/input`);
      expect(input.status).toBe(404);
      expect((await errorOf(input)).code).toBe("no_image");
      const page = await (await fetch(`${worker.url}/s/${id}`)).text();
      expect(page).toContain('<meta property="og:image:width" content="2048">');
      expect(page).toContain('<meta property="og:image:height" content="7">');
    },
  );

  // What a browser sends for an <input type="file"> left empty: a part with
  // filename="" and no bytes. That is no input, not a bad image.
  const postBrowserForm = (fields: Fields, emptyFiles: string[]) => {
    const { body, contentType } = browserForm(fields, emptyFiles);
    return fetch(`${worker.url}/api/v1/shares`, {
      method: "POST",
      body,
      headers: { "Content-Type": contentType, "CF-Connecting-IP": nextIp() },
    });
  };

  it("an empty optional file input counts as no input", async () => {
    const res = await postBrowserForm({ ...base, output: await png(8, 8) }, ["input"]);
    expect(res.status).toBe(201);
    const { id } = (await res.json()) as Created;
    const meta = (await (await fetch(`${worker.url}/api/v1/shares/${id}`)).json()) as {
      inputUrl: unknown;
    };
    expect(meta.inputUrl).toBeNull();
    expect((await fetch(`${worker.url}/api/v1/shares/${id}/input`)).status).toBe(404);
  });

  it("an empty output file input is still a missing output", async () => {
    const res = await postBrowserForm(base, ["output", "input"]);
    expect(res.status).toBe(400);
    const err = await errorOf(res);
    expect(err.code).toBe("bad_field");
    expect(err.message).toMatch(/"output".*required/);
  });
});

describe("metadata is removed before a share is stored", () => {
  const fetchPart = async (id: string, part: "output" | "input") => {
    const res = await fetch(`${worker.url}/api/v1/shares/${id}/${part}`);
    expect(res.status).toBe(200);
    return { res, bytes: new Uint8Array(await res.arrayBuffer()) };
  };
  const share = async (fields: Fields) => {
    const res = await post({ ...base, ...fields });
    expect(res.status).toBe(201);
    return ((await res.json()) as Created).id;
  };

  it.each([
    ["jpeg", "webp"],
    ["png", "jpeg"],
    ["webp", "png"],
  ] as const)(
    "%s output and %s input from a phone: no EXIF/GPS or XMP, same pixels",
    async (out, inp) => {
      const sent = { output: await photo(64, 48, out), input: await photo(64, 48, inp) };
      const id = await share({
        output: { bytes: sent.output, type: MIME[out] },
        input: { bytes: sent.input, type: MIME[inp] },
      });
      for (const part of ["output", "input"] as const) {
        const { res, bytes } = await fetchPart(id, part);
        const original = await sharp(sent[part]).metadata();
        expect(original.exif).toBeDefined();
        const stored = await sharp(bytes).metadata();
        expect(stored.exif, part).toBeUndefined();
        expect(stored.xmp, part).toBeUndefined();
        expect(stored.icc, part).toEqual(original.icc); // the colour profile stays
        expect([stored.width, stored.height]).toEqual([64, 48]);
        expect(await sharp(bytes).raw().toBuffer()).toEqual(
          await sharp(sent[part]).raw().toBuffer(),
        );
        expect(Buffer.from(bytes).includes("PhoneMaker")).toBe(false);
        // Length and ETag describe the stored (stripped) bytes; R2's ETag is their MD5.
        expect(bytes.length).toBeLessThan(sent[part].length);
        expect(res.headers.get("content-length")).toBe(String(bytes.length));
        const etag = res.headers.get("etag") ?? "";
        expect(etag).toBe(`"${createHash("md5").update(bytes).digest("hex")}"`);
        const again = await fetch(`${worker.url}/api/v1/shares/${id}/${part}`, {
          headers: { "If-None-Match": etag },
        });
        expect(again.status).toBe(304);
      }
      const page = await (await fetch(`${worker.url}/s/${id}`)).text();
      expect(page).toContain('<meta property="og:image:width" content="64">');
    },
  );

  it("keeps a photo's EXIF orientation (alone), so it still shows upright", async () => {
    const sent = await photo(64, 48, "jpeg", { orientation: 6 });
    const id = await share({ output: { bytes: sent, type: "image/jpeg" } });
    const { bytes } = await fetchPart(id, "output");
    const stored = await sharp(bytes).metadata();
    expect(stored.orientation).toBe(6);
    expect(stored.exif?.length).toBeLessThanOrEqual(32); // "Exif\0\0" + one-tag TIFF block
    expect(Buffer.from(bytes).includes("PhoneMaker")).toBe(false);
  });

  it.each(["png", "jpeg", "webp", "webp-lossless"] as const)(
    "%s without metadata is stored byte for byte",
    async (format) => {
      const sent = await image(40, 30, format);
      const id = await share({ output: { bytes: sent, type: MIME[format] } });
      expect((await fetchPart(id, "output")).bytes).toEqual(sent);
    },
  );
});

describe("rate limit", () => {
  it("allows 10 shares a minute per client, then 429 with Retry-After; others are unaffected", async () => {
    const ip = "192.0.2.77";
    const output = await png(8, 8);
    for (let i = 0; i < 10; i++) expect((await post({ ...base, output }, ip)).status).toBe(201);
    const limited = await post({ ...base, output }, ip);
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBe("60");
    expect((await errorOf(limited)).code).toBe("rate_limited");
    expect((await post({ ...base, output }, "192.0.2.78")).status).toBe(201);
  });

  it("keys clients by IPv4 address or IPv6 /64", () => {
    expect(clientKey("192.0.2.1")).toBe("192.0.2.1");
    expect(clientKey("2001:DB8::1")).toBe("2001:db8:0:0::/64");
    expect(clientKey("2001:0db8:0000:0001:aaaa:bbbb:cccc:dddd")).toBe("2001:db8:0:1::/64");
    expect(clientKey("2001:db8:0:1::")).toBe("2001:db8:0:1::/64");
    expect(clientKey("::1")).toBe("0:0:0:0::/64");
    expect(clientKey("::ffff:192.0.2.9")).toBe("192.0.2.9");
    expect(clientKey(undefined)).toBe("unknown");
  });

  it("counts an IPv6 client by its /64, so rotating addresses within it does not help", async () => {
    const output = await png(8, 8);
    for (let i = 0; i < 10; i++)
      expect((await post({ ...base, output }, `2001:db8:77:1::${i + 1}`)).status).toBe(201);
    expect((await post({ ...base, output }, "2001:db8:77:1:ffff::9")).status).toBe(429);
    expect((await post({ ...base, output }, "2001:db8:77:2::1")).status).toBe(201);
  });
});

describe("bad share ids", () => {
  it.each([
    "short",
    "A".repeat(23),
    "AAAAAAAAAAAAAAAAAAAAA%2F",
    "..%2F..%2Fmanifest.json",
    "AAAAAAAAAAAAAAAAAAAAAA",
  ])("%s -> 404 everywhere", async (id) => {
    for (const path of [`/api/v1/shares/${id}`, `/api/v1/shares/${id}/output`, `/s/${id}`]) {
      const res = await fetch(`${worker.url}${path}`);
      expect(res.status, path).toBe(404);
    }
    const del = await fetch(`${worker.url}/api/v1/shares/${id}`, {
      method: "DELETE",
      headers: { Authorization: "Bearer x" },
    });
    expect(del.status).toBe(404);
  });
});

describe("expiry", () => {
  let shortLived: RunningWorker;
  beforeAll(async () => {
    shortLived = await startWorker({ seed, vars: { SHARE_TTL_SECONDS: "1" } });
  });
  afterAll(() => shortLived?.stop());

  it("an expired share is 410, then gone (404)", async () => {
    const res = await fetch(`${shortLived.url}/api/v1/shares`, {
      method: "POST",
      body: form({ ...base, output: await png(8, 8) }),
    });
    expect(res.status).toBe(201);
    const { id, expiresAt } = (await res.json()) as Created;
    expect(Date.parse(expiresAt) - Date.now()).toBeLessThanOrEqual(1000);
    await new Promise((r) => setTimeout(r, Math.max(0, Date.parse(expiresAt) - Date.now()) + 100));
    const page = await fetch(`${shortLived.url}/s/${id}`);
    expect(page.status).toBe(410);
    expect(await page.text()).toContain('id="share-state"'); // the site's share view
    const meta = await fetch(`${shortLived.url}/api/v1/shares/${id}`);
    expect(meta.status).toBe(410); // the view's own request says "expired", then the share goes
    let status = meta.status;
    for (let i = 0; i < 20 && status !== 404; i++) {
      await new Promise((r) => setTimeout(r, 100));
      status = (await fetch(`${shortLived.url}/api/v1/shares/${id}/output`)).status;
    }
    expect(status).toBe(404);
  });
});
