/** Requests that fetch() would normalise first: raw paths such as `/a/../b`. */
import http from "node:http";

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export function rawRequest(
  base: string,
  rawPath: string,
  init: {
    method?: string;
    headers?: Record<string, string>;
    body?: Uint8Array;
  } = {},
): Promise<RawResponse> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: hostname, port, path: rawPath, method: init.method ?? "GET", headers: init.headers },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks),
          }),
        );
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(init.body);
  });
}

/** The `{error: {code, message}}` body every API error has; fails loudly otherwise. */
export async function errorOf(res: Response): Promise<{ code: string; message: string }> {
  const body = (await res.json()) as { error?: { code?: unknown; message?: unknown } };
  if (typeof body.error?.code !== "string" || typeof body.error?.message !== "string") {
    throw new Error(`not an API error body: ${JSON.stringify(body)}`);
  }
  return body.error as { code: string; message: string };
}

/**
 * Uploads `total` zero bytes with Transfer-Encoding: chunked, 64 KiB at a
 * time with back-pressure, until the server answers or drops the connection.
 * `handedOver` counts what reached the socket (the kernel buffers a few MB more).
 */
export function uploadChunked(
  base: string,
  path: string,
  headers: Record<string, string>,
  total: number,
): Promise<{ outcome: number | string; body: string; handedOver: number }> {
  const { hostname, port } = new URL(base);
  const chunk = new Uint8Array(64 * 1024);
  return new Promise((resolve) => {
    let handedOver = 0;
    let done = false;
    const finish = (outcome: number | string, body = "") => {
      if (done) return;
      done = true;
      req.destroy();
      resolve({ outcome, body, handedOver });
    };
    const req = http.request({
      host: hostname,
      port,
      path,
      method: "POST",
      headers: { ...headers, "Transfer-Encoding": "chunked" },
    });
    req.on("response", (res) => {
      let body = "";
      res.on("data", (c: Buffer) => {
        body += c.toString();
      });
      res.on("end", () => finish(res.statusCode ?? 0, body));
      res.on("error", () => finish(res.statusCode ?? 0, body));
    });
    req.on("error", (e: NodeJS.ErrnoException) => finish(e.code ?? e.message));
    const pump = () => {
      while (!done && handedOver < total) {
        handedOver += chunk.byteLength;
        if (!req.write(chunk)) return void req.once("drain", pump);
      }
      if (!done) req.end();
    };
    pump();
  });
}
