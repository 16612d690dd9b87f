/**
 * Losses as JSON lines (checkpoints/NAME/loss_log.jsonl), one record per
 * --print_freq iterations, kept in memory too for the page's curves.
 */
import { appendFile, readFile, rename, writeFile } from "node:fs/promises";
import type { LossName } from "../model/cyclegan.ts";

export interface LossRecord {
  /** Total iterations so far. */
  iter: number;
  epoch: number;
  epochIter: number;
  lr: number;
  /** Training seconds of the run so far. */
  seconds: number;
  losses: Record<LossName, number>;
}

export class LossLog {
  readonly file: string;
  readonly records: LossRecord[];
  /** Lines of the old log that did not parse (a run killed while appending leaves a half line). */
  readonly skipped: number;

  private constructor(file: string, records: LossRecord[], skipped: number) {
    this.file = file;
    this.records = records;
    this.skipped = skipped;
  }

  /**
   * Start a log. Resuming from iteration `resumeAt` keeps the records up to it
   * and drops later ones (they belong to a future the resumed run will redo);
   * a fresh run (null) starts empty.
   */
  static async open(file: string, resumeAt: number | null): Promise<LossLog> {
    const records: LossRecord[] = [];
    let skipped = 0;
    if (resumeAt !== null) {
      const text = await readFile(file, "utf8").catch(() => "");
      for (const line of text.split("\n")) {
        if (line.trim() === "") continue;
        let r: LossRecord;
        try {
          r = JSON.parse(line) as LossRecord;
        } catch {
          skipped++;
          continue;
        }
        if (r.iter <= resumeAt) records.push(r);
      }
    }
    const tmp = `${file}.tmp`;
    await writeFile(tmp, records.map((r) => `${JSON.stringify(r)}\n`).join(""));
    await rename(tmp, file);
    return new LossLog(file, records, skipped);
  }

  async append(r: LossRecord): Promise<void> {
    this.records.push(r);
    await appendFile(this.file, `${JSON.stringify(r)}\n`);
  }
}
