/**
 * Runs the official ONNX checker (Debian's python3-onnx, test-only) on files.
 * scripts/test.sh installs it; if no python3 here can import onnx the calling
 * test fails with instructions rather than skipping.
 */
import { execFileSync, spawnSync } from "node:child_process";

const CANDIDATES = ["python3", "/usr/bin/python3"];

function pythonWithOnnx(): string {
  for (const py of CANDIDATES) {
    const r = spawnSync(py, ["-c", "import onnx"], { stdio: "ignore" });
    if (r.status === 0) return py;
  }
  throw new Error(
    "no python3 with the onnx module: install it with `apt-get install python3-onnx` (scripts/test.sh does)",
  );
}

export interface CheckerResult {
  file: string;
  ok: boolean;
  error: string | null;
}

export function onnxChecker(files: string[]): CheckerResult[] {
  const script = new URL("./check_onnx.py", import.meta.url).pathname;
  const out = execFileSync(pythonWithOnnx(), [script, ...files], { encoding: "utf8" });
  return out
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line) as CheckerResult);
}
