/**
 * Real headless Chromium (Debian's /usr/bin/chromium) through playwright-core,
 * with the project's flags and a fresh profile per launch.
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { type BrowserContext, chromium, type Page } from "playwright-core";

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

export const CHROMIUM_FLAGS = [
  "--headless=new",
  "--no-sandbox",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-quic",
];

export interface Browser {
  context: BrowserContext;
  page: Page;
  /** Console errors and CSP violations seen so far (tests assert there are none). */
  problems: string[];
  close(): Promise<void>;
}

export interface LaunchOptions {
  /** Adds --enable-unsafe-webgpu: a SwiftShader adapter (slow, no shader-f16). */
  webgpu?: boolean;
  /** Reuse a profile (to test a second visit); a fresh temporary one otherwise. */
  userDataDir?: string;
  viewport?: { width: number; height: number };
  /** More Chromium flags (the benchmark adds memory-measurement flags). */
  extraArgs?: string[];
  /** "block" keeps the site's service worker out (needed where a test routes requests). */
  serviceWorkers?: "allow" | "block";
  /**
   * A fake camera playing a Y4M clip in a loop (scripts/lib/live-clip.ts), granted
   * without a prompt; "deny" refuses camera permission as a visitor would.
   */
  fakeCamera?: { clip: string; permission?: "grant" | "deny" };
}

/** Chromium's flags for LaunchOptions.fakeCamera. */
function fakeCameraArgs(cam: NonNullable<LaunchOptions["fakeCamera"]>): string[] {
  return [
    "--use-fake-device-for-media-stream",
    `--use-fake-ui-for-media-stream${cam.permission === "deny" ? "=deny" : ""}`,
    `--use-file-for-fake-video-capture=${cam.clip}`,
  ];
}

export async function launch(opts: LaunchOptions = {}): Promise<Browser> {
  const own = !opts.userDataDir;
  const userDataDir =
    opts.userDataDir ?? (await mkdtemp(path.join(os.tmpdir(), "unpaired-chromium-")));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: false, // --headless=new is passed explicitly below
    args: [
      ...CHROMIUM_FLAGS,
      ...(opts.webgpu ? ["--enable-unsafe-webgpu"] : []),
      ...(opts.fakeCamera ? fakeCameraArgs(opts.fakeCamera) : []),
      ...(opts.extraArgs ?? []),
    ],
    viewport: opts.viewport ?? { width: 1280, height: 900 },
    serviceWorkers: opts.serviceWorkers ?? "allow",
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const problems: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error" && !/favicon/.test(m.text())) problems.push(m.text());
  });
  page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
  return {
    context,
    page,
    problems,
    close: async () => {
      await context.close();
      if (own) await rm(userDataDir, { recursive: true, force: true });
    },
  };
}
