/**
 * The delete tokens of the shares made in this browser, kept in localStorage
 * (never sent anywhere but to DELETE its own share), so a visitor can still
 * delete a share after a reload, from its link. Expired entries are dropped
 * whenever one is added.
 */

const KEY = "unpaired-share-tokens";

interface Saved {
  token: string;
  expiresAt: string;
}

export type TokenStore = Pick<Storage, "getItem" | "setItem">;

/** localStorage, or undefined where the browser refuses it (blocked storage throws on access). */
function deviceStore(): TokenStore | undefined {
  try {
    return globalThis.localStorage;
  } catch {
    return undefined;
  }
}

function read(store: TokenStore): Record<string, Saved> {
  try {
    const json: unknown = JSON.parse(store.getItem(KEY) ?? "{}");
    if (!json || typeof json !== "object" || Array.isArray(json)) return {};
    // Keep only well-formed entries: storage is shared with anything else on this origin.
    return Object.fromEntries(
      Object.entries(json).filter(
        ([, s]) =>
          s !== null &&
          typeof s === "object" &&
          typeof (s as Saved).token === "string" &&
          typeof (s as Saved).expiresAt === "string",
      ),
    ) as Record<string, Saved>;
  } catch {
    return {};
  }
}

function write(store: TokenStore, saved: Record<string, Saved>): boolean {
  try {
    store.setItem(KEY, JSON.stringify(saved));
    return true;
  } catch {
    return false; // full or disabled storage
  }
}

/** Keep a share's token; false when this browser cannot keep it (deleting then works only now). */
export function rememberToken(
  id: string,
  token: string,
  expiresAt: string,
  store = deviceStore(),
  now = Date.now(),
): boolean {
  if (!store) return false;
  const saved = read(store);
  for (const [key, s] of Object.entries(saved)) {
    if (!(Date.parse(s.expiresAt) > now)) delete saved[key];
  }
  saved[id] = { token, expiresAt };
  return write(store, saved);
}

export function savedToken(id: string, store = deviceStore()): string | undefined {
  if (!store) return undefined;
  const token = read(store)[id]?.token;
  return typeof token === "string" ? token : undefined;
}

export function forgetToken(id: string, store = deviceStore()): void {
  if (!store) return;
  const saved = read(store);
  if (!(id in saved)) return;
  delete saved[id];
  write(store, saved);
}
