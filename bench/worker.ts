/**
 * `npm run bench:worker [-- --duration 10 --connections 8]`: requests/s and
 * p50/p99 latency of GET /api/v1/models and of a 1 MiB ranged model read,
 * under a bounded load (fixed connections, fixed duration, request cap)
 * with autocannon against the real worker (wrangler dev, workerd, local R2)
 * on 127.0.0.1. Load generator and server share this machine's cores.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import autocannon from "autocannon";
import { fakeSeed } from "../scripts/lib/fake-seed.ts";
import { startWorker } from "../scripts/lib/worker-server.ts";
import { type Row, writeReport } from "./report.ts";

const MIB = 2 ** 20;

interface Scenario {
  name: string;
  path: string;
  headers?: Record<string, string>;
  /** The status every answer must have; anything else is counted as wrong. */
  status: number;
}

function version(pkg: string): string {
  const file = path.resolve(import.meta.dirname, "..", "node_modules", pkg, "package.json");
  return (JSON.parse(readFileSync(file, "utf8")) as { version: string }).version;
}

export async function run(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      duration: { type: "string", default: "10" },
      connections: { type: "string", default: "8" },
      "max-requests": { type: "string", default: "200000" },
      "file-mib": { type: "string", default: "8" },
    },
  });
  const duration = Number(values.duration);
  const connections = Number(values.connections);
  const maxRequests = Number(values["max-requests"]);
  const fileMiB = Number(values["file-mib"]);
  if (![duration, connections, maxRequests, fileMiB].every((n) => Number.isFinite(n) && n > 0)) {
    throw new Error(
      "--duration, --connections, --max-requests and --file-mib must be positive numbers",
    );
  }
  if (fileMiB < 2)
    throw new Error("--file-mib must be at least 2 (the ranged read is 1 MiB at offset 1 MiB)");

  const seed = fakeSeed([{ id: "bench", sizes: { fp32: fileMiB * MIB, int8: 1000 } }]);
  const worker = await startWorker({ seed });
  const manifestEtag = (await fetch(`${worker.url}/api/v1/models`)).headers.get("etag") ?? "";
  const scenarios: Scenario[] = [
    { name: "GET /api/v1/models", path: "/api/v1/models", status: 200 },
    {
      name: "GET /api/v1/models (If-None-Match)",
      path: "/api/v1/models",
      headers: { "If-None-Match": manifestEtag },
      status: 304,
    },
    {
      name: "GET /models/:id/:file Range 1 MiB",
      path: "/models/bench/AtoB.fp32.onnx",
      headers: { Range: `bytes=${MIB}-${2 * MIB - 1}` },
      status: 206,
    },
  ];

  const rows: Row[] = [];
  try {
    for (const s of scenarios) {
      const check = await fetch(`${worker.url}${s.path}`, { headers: s.headers });
      await check.arrayBuffer();
      if (check.status !== s.status)
        throw new Error(`${s.name}: expected ${s.status}, got ${check.status}`);
      const result = await autocannon({
        url: `${worker.url}${s.path}`,
        headers: s.headers,
        connections,
        duration,
        maxOverallRequests: maxRequests,
        timeout: 10,
      });
      const expected = result.statusCodeStats?.[`${s.status}`]?.count ?? 0;
      rows.push({
        scenario: s.name,
        "req/s": result.requests.average,
        "p50 ms": result.latency.p50,
        "p99 ms": result.latency.p99,
        "max ms": result.latency.max,
        "MiB/s": result.throughput.average / MIB,
        requests: result.requests.total,
        status: s.status,
        "other status": result.requests.total - expected,
        errors: result.errors,
      });
    }
  } finally {
    await worker.stop();
  }
  writeReport(
    {
      name: "worker",
      settings: {
        duration,
        connections,
        maxRequests,
        fileMiB,
        rangeBytes: MIB,
        server: "wrangler dev --local",
      },
      rows,
      notes: [
        "Server (wrangler dev: proxy worker + user worker in workerd, local R2 on disk) and load generator share the same cores.",
        "Latency is per request under the stated number of concurrent connections.",
      ],
    },
    { wrangler: version("wrangler"), hono: version("hono"), autocannon: version("autocannon") },
  );
}
