/**
 * The manifest's vocabularies live once, in models/names.ts (no zod): the
 * manifest schema and the share API use the same lists, and the share API
 * still reaches no zod beyond zod/mini (the share page bundles it).
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import * as z from "zod/mini";
import { ShareFields, ShareView } from "../../models/api.ts";
import { DIRECTIONS, DTYPES, PROVIDERS } from "../../models/names.ts";
import * as schema from "../../models/schema.ts";

const ROOT = path.resolve(import.meta.dirname, "../..");
const importsOf = (file: string) =>
  [...readFileSync(path.join(ROOT, file), "utf8").matchAll(/\bfrom\s+["']([^"']+)["']/g)].map(
    (m) => m[1],
  );

describe("models/names.ts", () => {
  it("is the lists schema.ts re-exports and builds its enums from", () => {
    expect(schema.DTYPES).toBe(DTYPES);
    expect(schema.PROVIDERS).toBe(PROVIDERS);
    expect(schema.DIRECTIONS).toBe(DIRECTIONS);
    expect(schema.Dtype.options).toEqual([...DTYPES]);
    expect(schema.Provider.options).toEqual([...PROVIDERS]);
    expect(schema.Direction.options).toEqual([...DIRECTIONS]);
  });

  it("gives the share API its directions and variants", () => {
    for (const s of [ShareFields, ShareView]) {
      const json = z.toJSONSchema(s) as { properties: Record<string, { enum?: string[] }> };
      expect(json.properties.direction?.enum).toEqual([...DIRECTIONS]);
      expect(json.properties.variant?.enum).toEqual([...DTYPES]);
    }
  });

  it("imports nothing, and api.ts imports only zod/mini and names.ts (not schema.ts)", () => {
    expect(importsOf("models/names.ts")).toEqual([]);
    expect(importsOf("models/api.ts").sort()).toEqual(["./names.ts", "zod/mini"]);
  });
});
