/**
 * One measurement in a child process of its own (`node SCRIPT JOB_JSON`, the
 * result sent back over IPC), so peak RSS and thread counts belong to it alone.
 * Resolves a string that says why there is no result (timeout or failure).
 */
import { fork } from "node:child_process";

export function inChild<R>(script: URL, job: unknown, limitS: number): Promise<R | string> {
  return new Promise((resolve) => {
    const child = fork(script, [JSON.stringify(job)], { stdio: "inherit" });
    let result: R | undefined;
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, limitS * 1000);
    child.on("message", (m) => {
      result = m as R;
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      if (result) resolve(result);
      else if (timedOut) resolve(`timeout (> ${limitS} s)`);
      else resolve(`failed (exit ${code})`);
    });
  });
}
