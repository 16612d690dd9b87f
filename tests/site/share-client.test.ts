/**
 * Deleting a share from the page: the request the worker's DELETE route
 * expects (worker/src/routes/shares.ts), what each answer means to the
 * visitor, and the delete tokens kept on the device across reloads.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { deleteShare, getShare } from "../../site/src/lib/share-client.ts";
import {
  forgetToken,
  rememberToken,
  savedToken,
  type TokenStore,
} from "../../site/src/lib/share-tokens.ts";

/** localStorage as the page sees it, optionally refusing writes (full or disabled storage). */
function memoryStore(full = false): TokenStore & { items: Map<string, string> } {
  const items = new Map<string, string>();
  return {
    items,
    getItem: (key) => items.get(key) ?? null,
    setItem: (key, value) => {
      if (full) throw new DOMException("full", "QuotaExceededError");
      items.set(key, value);
    },
  };
}

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });

afterEach(() => {
  vi.unstubAllGlobals();
});

describe("deleteShare", () => {
  it("sends DELETE /api/v1/shares/:id with the token as a bearer token", async () => {
    const fetch = vi.fn(
      async (_url: string, _init?: RequestInit) => new Response(null, { status: 204 }),
    );
    vi.stubGlobal("fetch", fetch);
    await expect(deleteShare("a b", "tok-123")).resolves.toBe("deleted");
    const [url, init] = fetch.mock.calls[0] as [string, RequestInit];
    expect(url).toBe("/api/v1/shares/a%20b");
    expect(init.method).toBe("DELETE");
    expect(new Headers(init.headers).get("Authorization")).toBe("Bearer tok-123");
  });

  it("treats an unknown share as gone, and reports a refused token with the API's message", async () => {
    vi.stubGlobal("fetch", async () =>
      json(404, { error: { code: "unknown_share", message: "No such share." } }),
    );
    await expect(deleteShare("x", "t")).resolves.toBe("gone");
    vi.stubGlobal("fetch", async () =>
      json(403, {
        error: { code: "wrong_token", message: "The delete token does not match this share." },
      }),
    );
    await expect(deleteShare("x", "t")).rejects.toThrow(/does not match this share/);
  });

  it("says the site could not be reached instead of the browser's bare fetch error", async () => {
    vi.stubGlobal("fetch", async () => {
      throw new TypeError("Failed to fetch");
    });
    await expect(deleteShare("x", "t")).rejects.toThrow(
      /^could not reach the site\. Check your connection/,
    );
    await expect(getShare("x")).rejects.toThrow(/^could not reach the site/);
  });
});

describe("getShare reads the API's answer against its schema (models/api.ts)", () => {
  const view = {
    id: "AAAAAAAAAAAAAAAAAAAAAA",
    modelId: "demo",
    direction: "AtoB",
    variant: "int8",
    createdAt: "2030-06-01T00:00:00.000Z",
    expiresAt: "2030-07-01T00:00:00.000Z",
    outputUrl: "/api/v1/shares/AAAAAAAAAAAAAAAAAAAAAA/output",
    inputUrl: null,
  };

  it("returns a ShareView as the worker sends it", async () => {
    vi.stubGlobal("fetch", async () => json(200, view));
    await expect(getShare(view.id)).resolves.toEqual(view);
  });

  it.each([
    ["without outputUrl", { ...view, outputUrl: undefined }],
    ["with a direction the manifest has not", { ...view, direction: "sideways" }],
    ["an HTML page", "<!doctype html>"],
  ])("refuses an answer %s instead of showing a broken view", async (_, body) => {
    vi.stubGlobal("fetch", async () => json(200, body));
    await expect(getShare(view.id)).rejects.toThrow(/answered with something unexpected/);
  });

  it("an error body outside the contract falls back to the status", async () => {
    vi.stubGlobal("fetch", async () => json(502, { message: "Bad gateway" }));
    await expect(getShare(view.id)).rejects.toThrow(/^HTTP 502$/);
  });
});

describe("delete tokens on this device", () => {
  it("keeps a token per share until it is forgotten", () => {
    const store = memoryStore();
    expect(rememberToken("one", "t1", "2999-01-01T00:00:00Z", store)).toBe(true);
    expect(rememberToken("two", "t2", "2999-01-01T00:00:00Z", store)).toBe(true);
    expect([savedToken("one", store), savedToken("two", store)]).toEqual(["t1", "t2"]);
    forgetToken("one", store);
    expect([savedToken("one", store), savedToken("two", store)]).toEqual([undefined, "t2"]);
  });

  it("drops tokens of expired shares when adding one", () => {
    const store = memoryStore();
    const now = Date.parse("2030-06-01T00:00:00Z");
    rememberToken("old", "t0", "2030-05-31T00:00:00Z", store, now);
    rememberToken("new", "t1", "2030-06-02T00:00:00Z", store, now);
    expect(savedToken("old", store)).toBeUndefined();
    expect(savedToken("new", store)).toBe("t1");
  });

  it("says when storage refuses the token, and survives a damaged entry", () => {
    expect(rememberToken("one", "t1", "2999-01-01T00:00:00Z", memoryStore(true))).toBe(false);
    const damaged = memoryStore();
    damaged.items.set("unpaired-share-tokens", "{not json");
    expect(savedToken("one", damaged)).toBeUndefined();
    expect(rememberToken("one", "t1", "2999-01-01T00:00:00Z", damaged)).toBe(true);
    expect(savedToken("one", damaged)).toBe("t1");
    // entries another script (or an older build) left in a shape we do not write
    for (const odd of ['{"x": null, "y": 5}', "[1, 2]", "null"]) {
      const store = memoryStore();
      store.items.set("unpaired-share-tokens", odd);
      expect(rememberToken("two", "t2", "2999-01-01T00:00:00Z", store)).toBe(true);
      expect(savedToken("two", store)).toBe("t2");
    }
  });

  it("works where the browser blocks storage (reading localStorage throws)", () => {
    const own = Object.getOwnPropertyDescriptor(globalThis, "localStorage");
    Object.defineProperty(globalThis, "localStorage", {
      configurable: true,
      get: () => {
        throw new DOMException("denied", "SecurityError");
      },
    });
    try {
      expect(rememberToken("one", "t1", "2999-01-01T00:00:00Z")).toBe(false);
      expect(savedToken("one")).toBeUndefined();
      expect(() => forgetToken("one")).not.toThrow();
    } finally {
      if (own) Object.defineProperty(globalThis, "localStorage", own);
      else delete (globalThis as { localStorage?: unknown }).localStorage;
    }
  });
});
