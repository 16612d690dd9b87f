// Moved to scripts/lib/chromium.ts (bench/ uses it too); this re-export serves
// bench/site.ts, owned elsewhere, until it switches.
export * from "../../scripts/lib/chromium.ts";
