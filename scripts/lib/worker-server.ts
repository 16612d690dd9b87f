/**
 * Runs the REAL worker for tests: `wrangler dev` (workerd) on 127.0.0.1 with a
 * free port, a fresh temporary persist folder seeded as asked, serving site/dist.
 *
 *   const worker = await startWorker({ seed: "shipped" });
 *   const res = await fetch(`${worker.url}/api/v1/models`);
 *   await worker.stop();
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import {
  ROOT,
  readShippedSeed,
  type Seed,
  seedBucket,
  withLocalBucket,
} from "../../worker/local-r2.ts";

export interface StartWorkerOptions {
  /** What local R2 holds at start: nothing (default), the shipped models, or your own. */
  seed?: Seed | "shipped";
  /** Overrides of wrangler.toml [vars], e.g. { SHARE_TTL_SECONDS: "2" }. */
  vars?: Record<string, string>;
  /** Use this persist folder (kept on stop) instead of a fresh temporary one. */
  persistTo?: string;
  /** How long to wait for the worker to answer (default 90 s; 2 cores are slow). */
  readyTimeoutMs?: number;
}

export interface RunningWorker {
  /** Base URL without a trailing slash, e.g. http://127.0.0.1:41234 */
  url: string;
  /** The temporary persist folder (local R2 lives in <persistTo>/v3/r2). */
  persistTo: string;
  stop(): Promise<void>;
}

const WRANGLER = path.join(ROOT, "node_modules", "wrangler", "bin", "wrangler.js");

/**
 * Leader of wrangler's process group: runs the command given as arguments and
 * kills the whole group (wrangler and workerd) when its stdin closes, which
 * happens however the test process ends, SIGKILL included.
 */
const WATCHDOG = `
const { spawn } = require("node:child_process");
const killAll = () => { try { process.kill(-process.pid, "SIGKILL"); } catch {} };
const child = spawn(process.execPath, process.argv.slice(1), { stdio: ["ignore", "inherit", "inherit"] });
child.on("exit", (code) => { process.exitCode = code ?? 1; killAll(); });
process.on("SIGTERM", () => { child.kill("SIGTERM"); setTimeout(killAll, 5000).unref(); });
process.stdin.on("end", killAll);
process.stdin.on("error", killAll);
process.stdin.resume();
`;

/** Process groups still running (leader pid = group id). */
const running = new Set<number>();
process.once("exit", () => {
  for (const pgid of running) killGroup(pgid, "SIGKILL");
});

function killGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal); // the whole group: wrangler and its workerd
  } catch {
    // already gone
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once("exit", () => resolve()));
}

async function waitReady(url: string, child: ChildProcess, timeoutMs: number, log: () => string) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`wrangler dev exited (${child.exitCode ?? child.signalCode}):\n${log()}`);
    }
    try {
      const res = await fetch(`${url}/api/v1/openapi.json`, { signal: AbortSignal.timeout(5000) });
      await res.arrayBuffer();
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`wrangler dev did not answer on ${url} within ${timeoutMs} ms:\n${log()}`);
}

export async function startWorker(opts: StartWorkerOptions = {}): Promise<RunningWorker> {
  if (!existsSync(path.join(ROOT, "site", "dist", "index.html"))) {
    throw new Error(
      "site/dist/index.html is missing: build the site first with `npm run build:site`.",
    );
  }
  const persistTo = opts.persistTo ?? (await mkdtemp(path.join(os.tmpdir(), "unpaired-worker-")));
  const cleanup = () =>
    opts.persistTo ? Promise.resolve() : rm(persistTo, { recursive: true, force: true });
  try {
    if (opts.seed) {
      const seed = opts.seed === "shipped" ? await readShippedSeed() : opts.seed;
      await withLocalBucket(persistTo, (bucket) => seedBucket(bucket, seed));
    }
    const [port, inspectorPort] = [await freePort(), await freePort()];
    const args = [
      WRANGLER,
      "dev",
      "--config",
      path.join(ROOT, "wrangler.toml"),
      "--local",
      "--ip",
      "127.0.0.1",
      "--port",
      String(port),
      "--inspector-port",
      String(inspectorPort),
      "--persist-to",
      persistTo,
      "--show-interactive-dev-session=false",
      "--live-reload=false",
      ...Object.entries(opts.vars ?? {}).flatMap(([k, v]) => ["--var", `${k}:${v}`]),
    ];
    const child = spawn(process.execPath, ["-e", WATCHDOG, ...args], {
      cwd: ROOT,
      detached: true, // own process group, so stop() reaches workerd too
      stdio: ["pipe", "pipe", "pipe"],
      env: { ...process.env, WRANGLER_SEND_METRICS: "false", NO_COLOR: "1", FORCE_COLOR: "0" },
    });
    const pgid = child.pid;
    if (pgid === undefined) throw new Error(`could not start ${process.execPath} ${WRANGLER}`);
    running.add(pgid);
    let output = "";
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-8000);
    };
    child.stdout?.on("data", keep);
    child.stderr?.on("data", keep);

    const url = `http://127.0.0.1:${port}`;
    const stop = async () => {
      killGroup(pgid, "SIGTERM");
      const timer = setTimeout(() => killGroup(pgid, "SIGKILL"), 6000);
      await exited(child);
      clearTimeout(timer);
      killGroup(pgid, "SIGKILL"); // anything that outlived the leader
      running.delete(pgid);
      await cleanup();
    };
    try {
      await waitReady(url, child, opts.readyTimeoutMs ?? 90_000, () => output);
    } catch (e) {
      await stop();
      throw e;
    }
    return { url, persistTo, stop };
  } catch (e) {
    await cleanup();
    throw e;
  }
}
