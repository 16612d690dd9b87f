/**
 * Dependencies point one way: shipping code (training/, models/, worker/,
 * site/src/) never imports bench/ or tests/, and bench/ never imports tests/.
 * Shared helpers live in scripts/lib/ and training/.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = path.resolve(import.meta.dirname, "../..");
const SOURCE = /\.(ts|mts|astro)$/;

function files(dir: string): string[] {
  return readdirSync(path.join(ROOT, dir), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && SOURCE.test(e.name) && !e.parentPath.includes("node_modules"))
    .map((e) => path.relative(ROOT, path.join(e.parentPath, e.name)));
}

/** Repository-relative targets of a file's relative imports (static and dynamic). */
function importsOf(file: string): string[] {
  const text = readFileSync(path.join(ROOT, file), "utf8");
  const specs = [...text.matchAll(/(?:from|import)\s*\(?\s*["'](\.{1,2}\/[^"']+)["']/g)];
  return specs.map((m) => path.relative(ROOT, path.resolve(path.dirname(file), m[1] as string)));
}

function violations(dirs: string[], forbidden: string[]): string[] {
  return dirs.flatMap((d) =>
    files(d).flatMap((f) =>
      importsOf(f)
        .filter((t) => forbidden.some((x) => t.startsWith(`${x}/`)))
        .map((t) => `${f} -> ${t}`),
    ),
  );
}

describe("import direction", () => {
  it("shipping code imports neither bench/ nor tests/", () => {
    expect(
      violations(["training", "models", "worker/src", "site/src"], ["bench", "tests"]),
    ).toEqual([]);
  });

  it("bench/ and scripts/ import no test helpers", () => {
    expect(violations(["bench", "scripts"], ["tests"])).toEqual([]);
  });
});
