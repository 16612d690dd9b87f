/**
 * Writes a dataset in the reference layout (trainA/ trainB/ testA/ testB/)
 * plus dataset.json and LICENSES.md. Everything goes to a sibling temp folder
 * first and is renamed into place at the end, so an interrupted run never
 * leaves a half-written dataset where the trainer would pick it up.
 */
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";

export const SPLITS = ["trainA", "trainB", "testA", "testB"] as const;
export type Split = (typeof SPLITS)[number];

/** A package the data came from, as verified when it was fetched. */
export interface SourceInfo {
  package: string;
  version: string;
  sha256: string;
  /** One line: which licences cover the files used. */
  license: string;
  /** Full text of the package's debian/copyright file. */
  copyright: string;
}

export interface DatasetInfo {
  name: string;
  description: string;
  domains: { A: string; B: string };
  /** How train and test were chosen, in words (documented next to the counts). */
  split: string;
  seed: number;
  options: Record<string, unknown>;
  sources: Omit<SourceInfo, "copyright">[];
  counts: Record<Split, number>;
  /** Licence of each written image where it differs by file (path relative to the dataset). */
  attribution?: Record<string, string>;
  created: string;
}

export class DatasetWriter {
  readonly outDir: string;
  readonly tmpDir: string;
  private readonly counts: Record<Split, number> = { trainA: 0, trainB: 0, testA: 0, testB: 0 };

  constructor(outDir: string) {
    this.outDir = path.resolve(outDir);
    this.tmpDir = `${this.outDir}.partial-${process.pid}`;
    rmSync(this.tmpDir, { recursive: true, force: true });
    for (const s of SPLITS) mkdirSync(path.join(this.tmpDir, s), { recursive: true });
  }

  /** Write one image file (already encoded) into a split; returns its dataset-relative path. */
  write(split: Split, fileName: string, data: Buffer): string {
    if (fileName.includes("/") || fileName.startsWith(".")) {
      throw new Error(`not a plain file name: ${fileName}`);
    }
    writeFileSync(path.join(this.tmpDir, split, fileName), data);
    this.counts[split]++;
    return `${split}/${fileName}`;
  }

  /** Any extra file at the dataset root (pairs.json and the like). */
  writeExtra(fileName: string, text: string): void {
    writeFileSync(path.join(this.tmpDir, fileName), text);
  }

  /** Write dataset.json and LICENSES.md, then swap the finished folder into place. */
  finish(
    info: Omit<DatasetInfo, "counts" | "created" | "sources">,
    sources: SourceInfo[],
  ): DatasetInfo {
    const full: DatasetInfo = {
      ...info,
      sources: sources.map(({ copyright: _, ...s }) => s),
      counts: { ...this.counts },
      created: new Date().toISOString(),
    };
    writeFileSync(path.join(this.tmpDir, "dataset.json"), `${JSON.stringify(full, null, 2)}\n`);
    writeFileSync(path.join(this.tmpDir, "LICENSES.md"), licensesMarkdown(full, sources));
    mkdirSync(path.dirname(this.outDir), { recursive: true });
    const old = `${this.outDir}.old-${process.pid}`;
    if (existsSync(this.outDir)) renameSync(this.outDir, old);
    renameSync(this.tmpDir, this.outDir);
    rmSync(old, { recursive: true, force: true });
    return full;
  }

  abort(): void {
    rmSync(this.tmpDir, { recursive: true, force: true });
  }
}

export function licensesMarkdown(
  info: Omit<DatasetInfo, "created">,
  sources: SourceInfo[],
): string {
  const lines = [
    `# ${info.name}: licences and attribution`,
    "",
    `${info.description}`,
    "",
    "Every image here was derived (rendered, cropped or resized) from files in these Debian packages.",
    "Models trained on this data are derived works: ship them under terms compatible with these",
    "licences and carry this attribution with them.",
    "",
    "| package | version | sha256 of the .deb | licence of the files used |",
    "| --- | --- | --- | --- |",
    ...sources.map((s) => `| ${s.package} | ${s.version} | \`${s.sha256}\` | ${s.license} |`),
    "",
  ];
  if (info.attribution) {
    const byLicense = new Map<string, number>();
    for (const l of Object.values(info.attribution)) byLicense.set(l, (byLicense.get(l) ?? 0) + 1);
    lines.push("Images per licence (per file in `dataset.json` under `attribution`):", "");
    for (const [l, n] of [...byLicense].sort()) lines.push(`- ${l}: ${n}`);
    lines.push("");
  }
  for (const s of sources) {
    lines.push(
      `## ${s.package} ${s.version}: debian/copyright`,
      "",
      "```text",
      s.copyright.trimEnd(),
      "```",
      "",
    );
  }
  return lines.join("\n");
}
