/**
 * The style picked last in this browser (localStorage), preselected on the
 * next visit. Blocked or full storage only loses the preselection.
 */
const KEY = "unpaired-last-style";

export function lastStyle(): string | undefined {
  try {
    return globalThis.localStorage?.getItem(KEY) ?? undefined;
  } catch {
    return undefined;
  }
}

export function rememberStyle(id: string): void {
  try {
    globalThis.localStorage?.setItem(KEY, id);
  } catch {
    // blocked or full storage
  }
}
