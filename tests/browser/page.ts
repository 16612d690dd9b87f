// Moved to scripts/lib/site-page.ts (bench/ uses it too); this re-export serves
// bench/site.ts, owned elsewhere, until it switches.
export * from "../../scripts/lib/site-page.ts";
