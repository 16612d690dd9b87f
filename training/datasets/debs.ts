/**
 * Fetch pinned Debian packages with `apt-get download` (no root install),
 * check each by sha256 and extract only the paths a recipe needs.
 * Everything lands in a cache folder so a second run is offline and fast.
 */

import type { ChildProcess } from "node:child_process";
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import {
  createReadStream,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
} from "node:fs";
import { writeFile } from "node:fs/promises";
import path from "node:path";

/** One package at the exact version a recipe was built and documented with. */
export interface DebPin {
  name: string;
  /** Debian version, with its epoch if it has one ("1:1.16.9-1"). */
  version: string;
  sha256: string;
  arch: "all" | "amd64";
}

export class DebError extends Error {
  override name = "DebError";
}

/** The file name apt-get download writes: the epoch's colon is URL-encoded. */
export function debFileName(pin: DebPin): string {
  return `${pin.name}_${pin.version.replace(":", "%3a")}_${pin.arch}.deb`;
}

export async function sha256File(file: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

/** Throws a DebError naming both hashes when the file is not the pinned one. */
export async function verifyDeb(file: string, pin: DebPin): Promise<void> {
  const actual = await sha256File(file);
  if (actual !== pin.sha256) {
    throw new DebError(
      `sha256 mismatch for ${path.basename(file)}:\n  expected ${pin.sha256}\n  actual   ${actual}\n` +
        `The archive served a different build of ${pin.name} ${pin.version}. Check the mirror, ` +
        "or, after reviewing the new package and its licence, update the pin in the recipe.",
    );
  }
}

interface RunResult {
  code: number;
  stderr: string;
}

/** Resolve when the child exits, with its exit code and what it wrote to stderr. */
function closed(child: ChildProcess): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    let stderr = "";
    child.stderr?.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? 1, stderr }));
  });
}

function run(cmd: string, args: string[], cwd?: string): Promise<RunResult> {
  return closed(spawn(cmd, args, { cwd, stdio: ["ignore", "ignore", "pipe"] }));
}

/** apt's answers when its package lists are missing or older than the pin. */
const UNKNOWN =
  /Unable to locate package|Can't find a source to download|has no installation candidate|Version '[^']*' for '[^']*' was not found/;

/** One `apt-get update` per process, shared: two at once would fight over apt's lock. */
let listsUpdated: Promise<RunResult> | null = null;

/** `apt-get download NAME=VERSION` into a fresh folder; one `apt-get update` if apt does not know it. */
async function aptDownload(pin: DebPin, dir: string): Promise<void> {
  const spec = `${pin.name}=${pin.version}`;
  let res = await run("apt-get", ["download", spec], dir);
  if (res.code !== 0 && UNKNOWN.test(res.stderr)) {
    if (!listsUpdated) {
      console.log(`apt does not know ${spec} yet: running apt-get update once`);
      listsUpdated = run("apt-get", ["update"]);
    }
    const upd = await listsUpdated;
    if (upd.code !== 0) throw new DebError(`apt-get update failed:\n${upd.stderr}`);
    res = await run("apt-get", ["download", spec], dir);
  }
  if (res.code !== 0) {
    throw new DebError(`apt-get download ${spec} failed (exit ${res.code}):\n${res.stderr.trim()}`);
  }
}

/**
 * Return the path of the verified .deb in `cacheDir/debs`, downloading it when
 * absent. A cached file with the wrong hash (a cut-off download) is fetched
 * again once; a fresh download with the wrong hash is an error.
 */
export async function fetchDeb(pin: DebPin, cacheDir: string): Promise<string> {
  const debDir = path.join(cacheDir, "debs");
  mkdirSync(debDir, { recursive: true });
  const file = path.join(debDir, debFileName(pin));
  if (existsSync(file)) {
    try {
      await verifyDeb(file, pin);
      return file;
    } catch {
      console.log(`cached ${path.basename(file)} does not match its pin: downloading it again`);
      rmSync(file);
    }
  }
  const tmp = path.join(debDir, `.download-${process.pid}-${pin.name}`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp);
  try {
    await aptDownload(pin, tmp);
    const got = readdirSync(tmp).filter((f) => f.endsWith(".deb"));
    if (got.length !== 1 || got[0] !== debFileName(pin)) {
      throw new DebError(
        `expected ${debFileName(pin)} from apt-get, got: ${got.join(", ") || "nothing"}`,
      );
    }
    const fresh = path.join(tmp, got[0]);
    await verifyDeb(fresh, pin);
    renameSync(fresh, file);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return file;
}

/**
 * Extract the members matching `patterns` (tar wildcards such as
 * './usr/share/fonts/ * /x.ttc', without the spaces) from a .deb into `dest`,
 * streaming `dpkg-deb --fsys-tarfile` into `tar` so a large package is never
 * unpacked whole. A marker file makes a repeated call a no-op. The members go
 * to a folder of this process first and are renamed into place, so processes
 * extracting the same package at once (parallel test files) never see or
 * delete each other's half-written files.
 */
export async function extractDeb(deb: string, dest: string, patterns: string[]): Promise<void> {
  const marker = (dir: string) => path.join(dir, ".extracted");
  // The hash too: a re-pinned build of the same version has the same file name.
  const want = JSON.stringify({ deb: path.basename(deb), sha256: await sha256File(deb), patterns });
  const done = () => existsSync(marker(dest)) && readFileSync(marker(dest), "utf8") === want;
  if (done()) return;
  const tmp = `${dest}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  try {
    const dpkg = spawn("dpkg-deb", ["--fsys-tarfile", deb], { stdio: ["ignore", "pipe", "pipe"] });
    const tar = spawn("tar", ["-x", "-C", tmp, "--wildcards", ...patterns], {
      stdio: ["pipe", "ignore", "pipe"],
    });
    dpkg.stdout.pipe(tar.stdin);
    const [d, t] = await Promise.all([closed(dpkg), closed(tar)]);
    if (d.code !== 0 || t.code !== 0) {
      throw new DebError(
        `extracting ${path.basename(deb)} failed:\n${(d.stderr + t.stderr).trim()}`,
      );
    }
    await writeFile(marker(tmp), want);
    try {
      renameSync(tmp, dest); // fails while dest holds anything
    } catch {
      // A complete copy (another process's) is never removed: someone may be reading it.
      if (done()) return;
      rmSync(dest, { recursive: true, force: true }); // stale: an older pin or an interrupted run
      renameSync(tmp, dest);
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** A package fetched, verified and (partly) extracted, with its copyright text. */
export interface FetchedPackage {
  pin: DebPin;
  /** The extracted file system root: files are under root/usr/... */
  root: string;
  copyright: string;
}

/** Fetch, verify and extract `patterns` plus the package's copyright file. */
export async function fetchPackage(
  pin: DebPin,
  cacheDir: string,
  patterns: string[],
): Promise<FetchedPackage> {
  const deb = await fetchDeb(pin, cacheDir);
  const copyrightPath = `./usr/share/doc/${pin.name}/copyright`;
  const root = path.join(cacheDir, "extracted", debFileName(pin).replace(/\.deb$/, ""));
  await extractDeb(deb, root, [copyrightPath, ...patterns]);
  return { pin, root, copyright: readFileSync(path.join(root, copyrightPath), "utf8") };
}
