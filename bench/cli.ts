/**
 * `npm run bench [-- part]`: runs one part or all of them, one after another
 * (never in parallel: on a shared machine parallel timings are worthless).
 * Each part is bench/<part>.ts exporting `run(args)`; extra arguments pass through.
 */
const PARTS = ["train", "infer", "site", "worker"] as const;
/** Investigations run by name only, not by `all`: conv kernels vs onnxruntime-node, forced wasm threads. */
const EXTRA = ["kernels", "wasm-threads"] as const;
type Part = (typeof PARTS)[number] | (typeof EXTRA)[number];
const KNOWN: readonly Part[] = [...PARTS, ...EXTRA];

// `npm run bench -- --quick`: options with no part name go to every part.
const args = process.argv.slice(2);
const [which = "all", ...rest] = args[0]?.startsWith("-") ? ["all", ...args] : args;
const parts: readonly Part[] =
  which === "all" ? PARTS : KNOWN.includes(which as Part) ? [which as Part] : [];
if (parts.length === 0) {
  console.error(`Unknown benchmark "${which}". Should be one of: all, ${KNOWN.join(", ")}.`);
  process.exit(2);
}
for (const part of parts) {
  const mod = (await import(`./${part}.ts`)) as { run: (args: string[]) => Promise<void> };
  await mod.run(rest);
}
