/**
 * GET /s/:id: the link people paste. A small HTML page whose Open Graph tags
 * show the output image in link previews, and which sends browsers on to the
 * site's share view (/share?id=...). Missing and expired shares get an HTML
 * page too (404/410): this URL is opened by people, not by API clients.
 */
import { Hono } from "hono";
import { html } from "hono/html";
import type { AppEnv } from "../env.ts";
import { ApiError } from "../errors.ts";
import type { LoadManifest } from "../manifest.ts";
import { liveShare, sharePath } from "./shares.ts";

const page = (
  title: string,
  body: ReturnType<typeof html>,
  head: ReturnType<typeof html> = html``,
) =>
  html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
${head}
</head>
<body>
${body}
</body>
</html>
`;

export function sharePageRoutes(loadManifest: LoadManifest) {
  const app = new Hono<AppEnv>();
  app.get("/:id", async (c) => {
    const id = c.req.param("id");
    let meta: Awaited<ReturnType<typeof liveShare>>;
    try {
      meta = await liveShare(c, id);
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      const title = e.status === 410 ? "This share has expired" : "No such share";
      return c.html(
        page(title, html`<h1>${title}</h1><p><a href="/">Translate your own image</a></p>`),
        e.status === 410 ? 410 : 404,
        { "Cache-Control": "no-store" },
      );
    }
    const origin = new URL(c.req.url).origin;
    const model = (await loadManifest(c)).models.find((m) => m.id === meta.modelId);
    const [from, to] = meta.direction === "AtoB" ? (["A", "B"] as const) : (["B", "A"] as const);
    const title = model
      ? `${model.title}: ${model.domains[from].name} → ${model.domains[to].name}`
      : "An Unpaired translation";
    const view = `/share?id=${encodeURIComponent(meta.id)}`;
    const image = `${origin}${sharePath(meta.id)}/output`;
    const head = html`<meta property="og:type" content="website">
<meta property="og:site_name" content="Unpaired">
<meta property="og:title" content="${title}">
<meta property="og:description" content="Translated on the visitor's own device with a CycleGAN generator.">
<meta property="og:url" content="${origin}/s/${meta.id}">
<meta property="og:image" content="${image}">
<meta property="og:image:type" content="${meta.output.type}">
<meta property="og:image:width" content="${meta.output.width}">
<meta property="og:image:height" content="${meta.output.height}">
<meta name="twitter:card" content="summary_large_image">
<meta http-equiv="refresh" content="0; url=${view}">
<link rel="canonical" href="${origin}/s/${meta.id}">`;
    return c.html(
      page(title, html`<p><a href="${view}">Open the shared translation: ${title}</a></p>`, head),
      200,
      { "Cache-Control": "no-cache" },
    );
  });
  return app;
}
