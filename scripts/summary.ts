/** Prints vitest's JSON result as one plain closing line: "tests: N passed, N failed, N skipped". */
import { readFileSync } from "node:fs";

const file = process.argv[2] ?? "test-results/vitest.json";
const r = JSON.parse(readFileSync(file, "utf8")) as {
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests: number;
  numTodoTests: number;
};
console.log(
  `tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests + r.numTodoTests} skipped`,
);
