/**
 * An in-memory Cache API (CacheStorage and Cache) for unit tests in Node, with
 * the behaviour the site relies on: URL keys (relative ones resolved against
 * ORIGIN), `ignoreSearch`, `addAll` failing as a whole, and entries whose body
 * cannot be read back (as a damaged store gives).
 */
export const ORIGIN = "http://127.0.0.1:8787";

type Key = RequestInfo | URL | { url: string };

/** The absolute URL of a cache key: a string or URL, or anything request-like with a url. */
export function href(key: Key): string {
  return new URL(typeof key === "object" && "url" in key ? key.url : String(key), ORIGIN).href;
}

function withoutSearch(url: string): string {
  const u = new URL(url);
  return `${u.origin}${u.pathname}`;
}

interface Entry {
  body: Uint8Array | Error;
  status: number;
}

export class FakeCache {
  readonly entries = new Map<string, Entry>();
  private readonly fetcher: typeof fetch;

  constructor(fetcher: typeof fetch) {
    this.fetcher = fetcher;
  }

  async match(key: Key, options?: CacheQueryOptions): Promise<Response | undefined> {
    const url = this.find(href(key), options)[0];
    const entry = url === undefined ? undefined : this.entries.get(url);
    if (!entry) return undefined;
    const { body, status } = entry;
    if (body instanceof Error) {
      return new Response(new ReadableStream({ pull: (c) => c.error(body) }));
    }
    return new Response(body.slice(), { status });
  }

  async put(key: Key, response: Response): Promise<void> {
    this.entries.set(href(key), {
      body: new Uint8Array(await response.arrayBuffer()),
      status: response.status,
    });
  }

  async addAll(keys: Key[]): Promise<void> {
    const responses = await Promise.all(keys.map((k) => this.fetcher(href(k))));
    const bad = responses.findIndex((r) => !r.ok);
    if (bad >= 0)
      throw new TypeError(`addAll: ${href(keys[bad] as Key)} answered ${responses[bad]?.status}`);
    for (const [i, r] of responses.entries()) await this.put(keys[i] as Key, r);
  }

  async delete(key: Key, options?: CacheQueryOptions): Promise<boolean> {
    const found = this.find(href(key), options);
    for (const url of found) this.entries.delete(url);
    return found.length > 0;
  }

  /** Store an entry whose body fails to read back with `error`. */
  putUnreadable(key: Key, error: Error): void {
    this.entries.set(href(key), { body: error, status: 200 });
  }

  /** Stored URLs, as paths with their query. */
  paths(): string[] {
    return [...this.entries.keys()].map((u) => u.slice(ORIGIN.length));
  }

  private find(url: string, options?: CacheQueryOptions): string[] {
    if (!options?.ignoreSearch) return this.entries.has(url) ? [url] : [];
    return [...this.entries.keys()].filter((u) => withoutSearch(u) === withoutSearch(url));
  }
}

export class FakeCacheStorage {
  readonly caches = new Map<string, FakeCache>();
  private readonly fetcher: typeof fetch;

  constructor(fetcher: typeof fetch = (...args) => fetch(...args)) {
    this.fetcher = fetcher;
  }

  async open(name: string): Promise<FakeCache> {
    let cache = this.caches.get(name);
    if (!cache) {
      cache = new FakeCache(this.fetcher);
      this.caches.set(name, cache);
    }
    return cache;
  }

  async keys(): Promise<string[]> {
    return [...this.caches.keys()];
  }

  async delete(name: string): Promise<boolean> {
    return this.caches.delete(name);
  }

  async match(key: Key, options?: MultiCacheQueryOptions): Promise<Response | undefined> {
    const names = options?.cacheName ? [options.cacheName] : [...this.caches.keys()];
    for (const name of names) {
      const hit = await this.caches.get(name)?.match(key, options);
      if (hit) return hit;
    }
    return undefined;
  }
}
