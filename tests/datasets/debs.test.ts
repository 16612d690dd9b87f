import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import {
  type DebPin,
  debFileName,
  extractDeb,
  fetchPackage,
  sha256File,
  verifyDeb,
} from "../../training/datasets/debs.ts";

/** Build a real (tiny) .deb with dpkg-deb, as the Debian archive would serve one. */
function buildDeb(dir: string, name: string, a = "A"): string {
  const root = path.join(dir, "pkg");
  mkdirSync(path.join(root, "DEBIAN"), { recursive: true });
  mkdirSync(path.join(root, "usr/share/doc", name), { recursive: true });
  mkdirSync(path.join(root, "usr/share/images"), { recursive: true });
  writeFileSync(
    path.join(root, "DEBIAN/control"),
    `Package: ${name}\nVersion: 1:2.0-1\nArchitecture: all\nMaintainer: T <t@example.org>\nDescription: test\n`,
  );
  writeFileSync(path.join(root, "usr/share/doc", name, "copyright"), "License: public-domain\n");
  writeFileSync(path.join(root, "usr/share/images/a.txt"), a);
  writeFileSync(path.join(root, "usr/share/images/b.txt"), "B");
  const deb = path.join(dir, "built.deb");
  execFileSync("dpkg-deb", ["--build", "--root-owner-group", root, deb], { stdio: "ignore" });
  return deb;
}

describe("Debian package handling", () => {
  let dir: string;
  let deb: string;
  let pin: DebPin;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), "debs-"));
    deb = buildDeb(dir, "fake-images");
    pin = { name: "fake-images", version: "1:2.0-1", sha256: await sha256File(deb), arch: "all" };
  });

  it("names files the way apt-get download does (epoch colon encoded)", () => {
    expect(debFileName(pin)).toBe("fake-images_1%3a2.0-1_all.deb");
  });

  it("accepts the pinned hash and rejects any other, naming both", async () => {
    await expect(verifyDeb(deb, pin)).resolves.toBeUndefined();
    const wrong = { ...pin, sha256: "0".repeat(64) };
    await expect(verifyDeb(deb, wrong)).rejects.toThrow(
      new RegExp(`sha256 mismatch[\\s\\S]*expected 0{64}[\\s\\S]*actual   ${pin.sha256}`),
    );
  });

  it("extracts only the requested members, and fails clearly when one is missing", async () => {
    const dest = path.join(dir, "only-a");
    await extractDeb(deb, dest, ["./usr/share/images/a*"]);
    expect(readFileSync(path.join(dest, "usr/share/images/a.txt"), "utf8")).toBe("A");
    expect(() => readFileSync(path.join(dest, "usr/share/images/b.txt"))).toThrow();
    await expect(extractDeb(deb, path.join(dir, "none"), ["./no/such/*"])).rejects.toThrow(
      /extracting built.deb failed/,
    );
  });

  it("extracts again when a re-pinned build under the same file name replaces the .deb", async () => {
    const dest = path.join(dir, "rebuilt");
    await extractDeb(deb, dest, ["./usr/share/images/a*"]);
    const other = mkdtempSync(path.join(os.tmpdir(), "debs-rebuilt-"));
    const rebuilt = buildDeb(other, "fake-images", "A, rebuilt"); // also named built.deb
    await extractDeb(rebuilt, dest, ["./usr/share/images/a*"]);
    expect(readFileSync(path.join(dest, "usr/share/images/a.txt"), "utf8")).toBe("A, rebuilt");
  });

  it("uses a verified cached .deb without downloading and returns its copyright", async () => {
    const cache = path.join(dir, "cache");
    mkdirSync(path.join(cache, "debs"), { recursive: true });
    writeFileSync(path.join(cache, "debs", debFileName(pin)), readFileSync(deb));
    const got = await fetchPackage(pin, cache, ["./usr/share/images/b.txt"]);
    expect(got.copyright).toBe("License: public-domain\n");
    expect(readFileSync(path.join(got.root, "usr/share/images/b.txt"), "utf8")).toBe("B");
  });
});
