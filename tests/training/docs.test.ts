import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { inferCommand, parseInferOptions } from "../../training/infer/cli.ts";
import {
  parseTrainOptions,
  parseTranslateOptions,
  TRAIN_OPTIONS,
  TRANSLATE_OPTIONS,
} from "../../training/options.ts";

const doc = readFileSync(new URL("../../docs/training.md", import.meta.url), "utf8");

/** The rows `| --name | default | meaning |` of the table under `heading`. */
function table(heading: string): Map<string, { def: string; help: string }> {
  const start = doc.indexOf(heading);
  const rows = doc.slice(start).split("\n\n")[1]?.split("\n").slice(2) ?? [];
  return new Map(
    rows.map((r) => {
      // cells may be padded (biome aligns markdown tables)
      const [, name, def, help] = /^\|\s*`--([^`]+)`\s*\|\s*(.*?)\s*\|\s*(.*?)\s*\|$/.exec(r) ?? [];
      return [String(name), { def: String(def).replace(/`/g, ""), help: String(help) }];
    }),
  );
}

function expected(def: { default: unknown; flag?: boolean }): string {
  if (def.flag) return "off";
  if (def.default === "") return "(required)";
  return def.default === Number.POSITIVE_INFINITY ? "inf" : String(def.default);
}

describe("docs/training.md", () => {
  for (const [heading, options] of [
    ["`npm run train`:", TRAIN_OPTIONS],
    ["`npm run translate`:", TRANSLATE_OPTIONS],
  ] as const) {
    it(`lists every ${heading} option with its default and help`, () => {
      const rows = table(heading);
      expect([...rows.keys()]).toEqual(Object.keys(options));
      for (const [key, def] of Object.entries(options)) {
        expect(rows.get(key)?.def, key).toBe(expected(def));
        expect(rows.get(key)?.help, key).toContain(def.help);
      }
    });
  }
});

/** Every `npm run <script> -- ...` command in a markdown file, continuations joined, comments dropped. */
function commands(file: string, script: string): string[][] {
  const text = readFileSync(new URL(`../../${file}`, import.meta.url), "utf8");
  const lines = text.replace(/\\\n\s*/g, " ").split("\n");
  const prefix = `npm run ${script} -- `;
  return lines
    .filter((l) => l.startsWith(prefix))
    .map((l) =>
      l
        .slice(prefix.length)
        .replace(/\s#.*$/, "")
        .trim()
        .split(/\s+/),
    );
}

describe("commands shown in the docs", () => {
  for (const file of ["README.md", "docs/training.md"]) {
    it(`${file}: every train and translate example parses`, () => {
      const train = commands(file, "train").filter((a) => !a.includes("--help"));
      const translate = commands(file, "translate");
      expect(train.length + translate.length).toBeGreaterThan(0);
      for (const args of train) expect(() => parseTrainOptions(args), args.join(" ")).not.toThrow();
      for (const args of translate)
        expect(() => parseTranslateOptions(args), args.join(" ")).not.toThrow();
    });
  }
});

describe("npm run infer examples", () => {
  it("every example in README.md and docs/export.md parses", () => {
    const examples = ["README.md", "docs/export.md"].flatMap((f) => commands(f, "infer"));
    expect(examples.length).toBeGreaterThanOrEqual(3);
    for (const args of examples)
      expect(() => parseInferOptions(args), args.join(" ")).not.toThrow();
  });

  it("docs/export.md lists every infer option", () => {
    const text = readFileSync(new URL("../../docs/export.md", import.meta.url), "utf8");
    const section = text.slice(text.indexOf("npm run infer`"), text.indexOf("## For other code"));
    const listed = [...section.matchAll(/^\|\s*`(--[a-z-]+)/gm)].map((m) => m[1]);
    const program = inferCommand();
    expect(listed).toEqual(program.options.map((o) => o.long));
  });
});
