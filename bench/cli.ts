/**
 * `npm run bench [-- part]`: runs one part or all of them, one after another
 * (never in parallel: on a shared machine parallel timings are worthless).
 * Each part is bench/<part>.ts exporting `run(args)`; extra arguments pass through.
 */
const PARTS = ["train", "infer", "site", "worker"] as const;
type Part = (typeof PARTS)[number];

const [which = "all", ...rest] = process.argv.slice(2);
const parts: readonly Part[] =
  which === "all" ? PARTS : PARTS.includes(which as Part) ? [which as Part] : [];
if (parts.length === 0) {
  console.error(`Unknown benchmark "${which}". Should be one of: all, ${PARTS.join(", ")}.`);
  process.exit(2);
}
for (const part of parts) {
  const mod = (await import(`./${part}.ts`)) as { run: (args: string[]) => Promise<void> };
  await mod.run(rest);
}
