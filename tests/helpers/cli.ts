/** Run one of the project's command-line entry points the way a user does, capturing its exit code and output. */
import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);
const REPO = path.resolve(import.meta.dirname, "../..");

export interface CliResult {
  code: number;
  out: string;
  err: string;
}

/** `script` is relative to the repository root, e.g. "training/export/cli.ts". */
export async function runCli(script: string, args: string[], cwd: string): Promise<CliResult> {
  try {
    const r = await run(process.execPath, [path.join(REPO, script), ...args], { cwd });
    return { code: 0, out: r.stdout, err: r.stderr };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, out: x.stdout, err: x.stderr };
  }
}
