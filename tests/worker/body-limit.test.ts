/**
 * Unit level (Hono's app.request in Node, no server): the share body limit
 * reads nothing when Content-Length is over it, and stops reading a chunked
 * body as soon as it passes the limit. The runtime-level 413s are in
 * shares.test.ts.
 */
import { describe, expect, it } from "vitest";
import { SHARE_LIMITS } from "../../models/api.ts";
import app from "../../worker/src/index.ts";

const CHUNK = 64 * 1024;
const TOTAL = 64 * 2 ** 20;

/** A body that counts what the server pulls from it. */
function countingBody() {
  const counter = { pulled: 0 };
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (counter.pulled >= TOTAL) return controller.close();
      counter.pulled += CHUNK;
      controller.enqueue(new Uint8Array(CHUNK));
    },
  });
  return { body, counter };
}

// Only the limiter is reached before the body check; it always allows here.
const env = {
  SITE_ORIGINS: "",
  SHARE_LIMITER: { limit: async () => ({ success: true }) },
};

async function post(headers: Record<string, string>) {
  const { body, counter } = countingBody();
  const res = await app.request(
    "http://127.0.0.1/api/v1/shares",
    {
      method: "POST",
      headers: { "Content-Type": "multipart/form-data; boundary=x", ...headers },
      body,
      duplex: "half",
    } as RequestInit,
    env,
  );
  return { res, pulled: counter.pulled };
}

describe("share body limit", () => {
  it("refuses by Content-Length without reading the body", async () => {
    const { res, pulled } = await post({ "Content-Length": String(TOTAL) });
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe(
      "payload_too_large",
    );
    expect(pulled).toBeLessThanOrEqual(2 * CHUNK); // at most what a stream pre-fetches
  });

  it("stops reading a body without Content-Length just past the limit", async () => {
    const { res, pulled } = await post({});
    expect(res.status).toBe(413);
    expect(pulled).toBeGreaterThan(SHARE_LIMITS.maxBodyBytes);
    expect(pulled).toBeLessThan(SHARE_LIMITS.maxBodyBytes + 4 * CHUNK);
  });
});
