// Moved to scripts/lib/worker-server.ts (bench/ uses it too); this re-export
// serves importers owned elsewhere (tests/worker/, bench/site.ts) until they switch.
export * from "../../scripts/lib/worker-server.ts";
