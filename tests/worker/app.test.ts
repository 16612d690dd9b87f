/**
 * The fast tier: the whole app through Hono's `app.request` in Node, with the
 * bindings in memory (memory-env.ts), for routing, validation and the API's
 * contract (models/api.ts). Seconds, not minutes; the suites that start the
 * real worker in workerd stay, for what only the runtime shows.
 */
import sharp from "sharp";
import { beforeAll, describe, expect, it, vi } from "vitest";
import {
  ErrorBody,
  type ErrorCode,
  SHARE_LIMITS,
  ShareCreated,
  ShareView,
  shareLinkPath,
  sharePath,
} from "../../models/api.ts";
import { fakeSeed } from "../../scripts/lib/fake-seed.ts";
import { type MemoryWorker, memoryWorker } from "./memory-env.ts";
import { base, type Fields, form, png } from "./share-client.ts";

const SITE = "https://unpaired.example";
const seed = fakeSeed([{ id: "demo", sizes: { int8: 30 } }]);

let worker: MemoryWorker;
beforeAll(async () => {
  worker = await memoryWorker(seed);
});

/** Runs `fn` expecting the server fault it causes to be logged once (and not printed here). */
async function logsFault(fn: () => Promise<void>): Promise<void> {
  const log = vi.spyOn(console, "error").mockImplementation(() => {});
  try {
    await fn();
    expect(log).toHaveBeenCalledOnce();
  } finally {
    log.mockRestore();
  }
}

/** The body of an API error, which must be the contract's shape with a listed code. */
async function error(res: Response, status: number, code: ErrorCode) {
  expect(res.status).toBe(status);
  const body = ErrorBody.parse(await res.json());
  expect(body.error.code).toBe(code);
  return body.error.message;
}

const post = (fields: Fields, w = worker) =>
  w.request("/api/v1/shares", { method: "POST", body: form(fields) });

async function share(w = worker): Promise<ShareCreated> {
  const res = await post({ ...base, modelId: "demo", output: await png(32, 24) }, w);
  expect(res.status).toBe(201);
  return ShareCreated.parse(await res.json());
}

describe("shares follow the contract", () => {
  it("creation answers ShareCreated with Location at sharePath and the link on the site's origin", async () => {
    const res = await post({ ...base, modelId: "demo", output: await png(32, 24) });
    expect(res.status).toBe(201);
    const created = ShareCreated.parse(await res.json());
    expect(res.headers.get("location")).toBe(sharePath(created.id));
    expect(created.url).toBe(`${SITE}${shareLinkPath(created.id)}`);
  });

  it("GET /api/v1/shares/:id answers ShareView, its image paths under sharePath", async () => {
    const { id, expiresAt } = await share();
    const res = await worker.request(sharePath(id));
    expect(res.status).toBe(200);
    expect(ShareView.parse(await res.json())).toEqual({
      id,
      modelId: "demo",
      direction: "AtoB",
      variant: "int8",
      createdAt: expect.any(String),
      expiresAt,
      outputUrl: `${sharePath(id)}/output`,
      inputUrl: null,
    });
  });

  it("takes an image of exactly the size limit and refuses one pixel more", async () => {
    const side = SHARE_LIMITS.maxImageSide;
    const wide = async (w: number) => ({
      bytes: new Uint8Array(
        await sharp({ create: { width: w, height: 2, channels: 3, background: "#fff" } })
          .png()
          .toBuffer(),
      ),
      type: "image/png",
    });
    expect((await post({ ...base, modelId: "demo", output: await wide(side) })).status).toBe(201);
    const message = await error(
      await post({ ...base, modelId: "demo", output: await wide(side + 1) }),
      400,
      "image_dimensions",
    );
    expect(message).toContain(`at most ${side} px`);
  });

  it("a stored meta.json that fails its schema is a server fault, not a share", async () => {
    const { id } = await share();
    await worker.bucket.put(`shares/${id}/meta.json`, JSON.stringify({ id, modelId: "demo" }));
    await logsFault(async () => {
      await error(await worker.request(sharePath(id)), 500, "internal_error");
    });
  });
});

describe("links are built from the configured site origin, never the request's Host", () => {
  it("the share link and the /s/:id Open Graph tags under a forged Host", async () => {
    const { id, url } = await share();
    expect(url).toBe(`${SITE}/s/${id}`);
    const page = await (await worker.request(`/s/${id}`, {}, "evil.example")).text();
    const tag = (p: string) => new RegExp(`<meta property="og:${p}" content="([^"]*)"`).exec(page);
    expect(tag("url")?.[1]).toBe(`${SITE}/s/${id}`);
    expect(tag("image")?.[1]).toBe(`${SITE}/api/v1/shares/${id}/output`);
    expect(page).toContain(`<link rel="canonical" href="${SITE}/s/${id}">`);
    expect(page).not.toContain("evil.example");
  });

  it("without SITE_ORIGINS no link can be made: a server fault, not the Host's origin", async () => {
    const bare = await memoryWorker(seed, { SITE_ORIGINS: "" });
    const output = await png(8, 8);
    await logsFault(async () => {
      await error(await post({ ...base, modelId: "demo", output }, bare), 500, "internal_error");
    });
    expect([...bare.bucket.objects.keys()].filter((k) => k.startsWith("shares/"))).toEqual([]);
  });
});

describe("the share link page /s/:id", () => {
  it.each(["POST", "OPTIONS", "PUT", "DELETE"])(
    "%s is 405 method_not_allowed with Allow: GET, HEAD",
    async (method) => {
      const res = await worker.request("/s/AAAAAAAAAAAAAAAAAAAAAA", { method });
      expect(res.headers.get("allow")).toBe("GET, HEAD");
      expect(res.headers.get("content-type")).toMatch(/^application\/json/);
      expect(await error(res, 405, "method_not_allowed")).toContain(method);
    },
  );

  it("a deleted share's link is the site's share view, as a 404", async () => {
    const { id, deleteToken } = await share();
    const gone = await worker.request(sharePath(id), {
      method: "DELETE",
      headers: { Authorization: `Bearer ${deleteToken}` },
    });
    expect(gone.status).toBe(204);
    const res = await worker.request(`/s/${id}`);
    expect(res.status).toBe(404);
    expect(res.headers.get("content-type")).toMatch(/^text\/html/);
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(await res.text()).toContain("<title>share view</title>");
  });

  it("an expired share's link is the share view as a 410; the view's API call says so and removes it", async () => {
    const shortLived = await memoryWorker(seed, { SHARE_TTL_SECONDS: "0.001" });
    const { id } = await share(shortLived);
    await new Promise((r) => setTimeout(r, 5));
    const res = await shortLived.request(`/s/${id}`);
    expect(res.status).toBe(410);
    expect(await res.text()).toContain("<title>share view</title>");
    const stored = () =>
      [...shortLived.bucket.objects.keys()].filter((k) => k.startsWith("shares/"));
    await shortLived.settle();
    expect(stored()).not.toEqual([]); // left for the view's own request, which can then say "expired"
    const api = await shortLived.request(sharePath(id));
    expect(await error(api, 410, "share_expired")).toMatch(/^This share expired at /);
    await shortLived.settle();
    expect(stored()).toEqual([]);
  });
});

describe("static files", () => {
  it("a method the assets binding refuses (405) gets the Allow header RFC 9110 requires", async () => {
    const res = await worker.request("/", { method: "POST" });
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe("GET, HEAD");
  });
});

describe("client strings echoed in errors are capped", () => {
  const long = "a".repeat(8000);

  it("an unknown model id of 8000 characters is echoed as 64 and an ellipsis", async () => {
    const message = await error(
      await worker.request(`/api/v1/models/${long}`),
      404,
      "unknown_model",
    );
    expect(message).toBe(`No model "${"a".repeat(64)}…" in the manifest.`);
  });

  it("so is an unknown provider, and an unknown path", async () => {
    const bad = await error(
      await worker.request(`/api/v1/models?provider=${long}`),
      400,
      "bad_query",
    );
    expect(bad.length).toBeLessThan(200);
    const unknown = await error(await worker.request(`/api/v1/${long}`), 404, "not_found");
    expect(unknown.length).toBeLessThan(200);
  });
});

describe("routing and validation", () => {
  it("a delete needs the share's own token: 401 without one, 403 with another", async () => {
    const { id } = await share();
    const missing = await worker.request(sharePath(id), { method: "DELETE" });
    expect(missing.headers.get("www-authenticate")).toBe('Bearer realm="shares"');
    await error(missing, 401, "missing_token");
    const other = await worker.request(sharePath(id), {
      method: "DELETE",
      headers: { Authorization: `Bearer ${"x".repeat(43)}` },
    });
    await error(other, 403, "wrong_token");
    expect((await worker.request(sharePath(id))).status).toBe(200);
  });

  it.each([
    [{ ...base, modelId: "nope" }, 400, "unknown_model"],
    [{ ...base, modelId: "demo", direction: "sideways" }, 400, "bad_field"],
    [{ ...base, modelId: "demo", variant: "fp32" }, 400, "unknown_variant"],
    [{ ...base, modelId: "demo" }, 400, "bad_field"],
  ] as const)("share form %j: %i %s", async (fields, status, code) => {
    await error(await post(fields), status, code);
  });

  it("an image sent as the wrong type is 415 content_type_mismatch", async () => {
    const output = { ...(await png(8, 8)), type: "image/jpeg" };
    await error(await post({ ...base, modelId: "demo", output }), 415, "content_type_mismatch");
  });
});
