import { describe, expect, it } from "vitest";
import { licenseOf, parseDep5 } from "../../training/datasets/dep5.ts";

const COPYRIGHT = `Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: demo

Files: *
Copyright: 2020 Game Authors
License: GPL-3+

Files: images/land/*
Copyright: Various
License: public-domain
 Donated photographs.

Files: images/land/*-sfiera*
Copyright: Chris Pickel (sfiera.net)
License: CC-BY-SA-4.0

Files:
 images/land/sea3*
 images/land/snow?.jpg
Copyright: NASA
License: public-domain

License: GPL-3+
 Full text here.
`;

describe("DEP-5 licences", () => {
  const stanzas = parseDep5(COPYRIGHT);

  it("takes the last matching Files stanza", () => {
    expect(licenseOf(stanzas, "images/land/fields1.jpg", "x")).toBe("public-domain (Various)");
    expect(licenseOf(stanzas, "images/land/sea10-sfiera.jpg", "x")).toBe(
      "CC-BY-SA-4.0 (Chris Pickel (sfiera.net))",
    );
    expect(licenseOf(stanzas, "images/land/sea3.jpg", "x")).toBe("public-domain (NASA)");
    expect(licenseOf(stanzas, "images/land/snow1.jpg", "x")).toBe("public-domain (NASA)");
    expect(licenseOf(stanzas, "images/land/snow10.jpg", "x")).toBe("public-domain (Various)");
    expect(licenseOf(stanzas, "sounds/boom.wav", "x")).toBe("GPL-3+ (2020 Game Authors)");
  });

  it("falls back for copyright files that are not machine-readable", () => {
    const plain = parseDep5("This package was debianized by someone.\n\nLicense: GPL-2+\n");
    expect(plain).toEqual([]);
    expect(licenseOf(plain, "any/file.jpg", "GPL-2+ (whole package)")).toBe(
      "GPL-2+ (whole package)",
    );
  });
});
