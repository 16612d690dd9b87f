/**
 * The licence of one file from a machine-readable debian/copyright (DEP-5):
 * stanzas with `Files:` globs, where the last matching stanza wins.
 * Packages without that format get the recipe's fallback licence instead.
 */

interface FilesStanza {
  patterns: RegExp[];
  license: string;
  copyright: string;
}

function globToRegExp(glob: string): RegExp {
  // DEP-5: `*` matches any run of characters (slashes included), `?` one character.
  const body = glob
    .replace(/[.+^${}()|[\]\\]/g, "\\$&")
    .replace(/\*/g, ".*")
    .replace(/\?/g, ".");
  return new RegExp(`^${body}$`);
}

/** Field values of one stanza; continuation lines start with whitespace. */
function fields(stanza: string): Map<string, string> {
  const out = new Map<string, string>();
  let key = "";
  for (const line of stanza.split("\n")) {
    const m = /^([A-Za-z-]+):\s*(.*)$/.exec(line);
    if (m) {
      key = (m[1] as string).toLowerCase();
      out.set(key, m[2] as string);
    } else if (key && /^\s/.test(line)) {
      out.set(key, `${out.get(key)}\n${line.trim()}`);
    }
  }
  return out;
}

export function parseDep5(text: string): FilesStanza[] {
  if (!/^Format:/m.test(text)) return [];
  const stanzas: FilesStanza[] = [];
  for (const block of text.split(/\n\s*\n/)) {
    const f = fields(block);
    const files = f.get("files");
    const license = f.get("license");
    if (files === undefined || license === undefined) continue;
    stanzas.push({
      patterns: files.split(/\s+/).filter(Boolean).map(globToRegExp),
      license: (license.split("\n")[0] as string).trim(),
      copyright: (f.get("copyright") ?? "").split("\n")[0]?.trim() ?? "",
    });
  }
  return stanzas;
}

/** "LICENSE (copyright holder)" for `file` (a path as the copyright file names them), or `fallback`. */
export function licenseOf(stanzas: FilesStanza[], file: string, fallback: string): string {
  let hit: FilesStanza | undefined;
  for (const s of stanzas) if (s.patterns.some((p) => p.test(file))) hit = s;
  if (!hit) return fallback;
  return hit.copyright ? `${hit.license} (${hit.copyright})` : hit.license;
}
