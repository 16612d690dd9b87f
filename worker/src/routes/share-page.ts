/**
 * GET /s/:id: the link people paste. A small HTML page whose Open Graph tags
 * show the output image in link previews, and which sends browsers on to the
 * site's share view (/share?id=...). Missing and expired shares get that share
 * view itself, as 404/410: this URL is opened by people, not by API clients.
 */
import { Hono } from "hono";
import { html } from "hono/html";
import { shareLinkPath, sharePath } from "../../../models/api.ts";
import { type AppEnv, siteOrigin } from "../env.ts";
import type { LoadManifest } from "../manifest.ts";
import { findShare } from "../shares.ts";

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
    const found = await findShare(c.env.MODELS, id);
    if (found.state !== "live") {
      // The site's own share view, in the site's style, says what happened: its
      // script (reading the id from this path) asks the API, which answers 404
      // or 410 and removes an expired share, so this request leaves it there.
      // The status stays 404/410 for link checkers and previews.
      const view = await c.env.ASSETS.fetch(new URL("/share", c.req.url));
      return new Response(view.body, {
        status: found.state === "expired" ? 410 : 404,
        headers: { "Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store" },
      });
    }
    const { meta } = found;
    const origin = siteOrigin(c.env);
    const model = (await loadManifest(c)).models.find((m) => m.id === meta.modelId);
    const [from, to] = meta.direction === "AtoB" ? (["A", "B"] as const) : (["B", "A"] as const);
    const title = model
      ? `${model.title}: ${model.domains[from].name} → ${model.domains[to].name}`
      : "An Unpaired translation";
    const view = `/share?id=${encodeURIComponent(meta.id)}`;
    const image = `${origin}${sharePath(meta.id)}/output`;
    const link = `${origin}${shareLinkPath(meta.id)}`;
    const head = html`<meta property="og:type" content="website">
<meta property="og:site_name" content="Unpaired">
<meta property="og:title" content="${title}">
<meta property="og:description" content="Translated on the visitor's own device with a CycleGAN generator.">
<meta property="og:url" content="${link}">
<meta property="og:image" content="${image}">
<meta property="og:image:type" content="${meta.output.type}">
<meta property="og:image:width" content="${meta.output.width}">
<meta property="og:image:height" content="${meta.output.height}">
<meta name="twitter:card" content="summary_large_image">
<meta http-equiv="refresh" content="0; url=${view}">
<link rel="canonical" href="${link}">`;
    return c.html(
      page(title, html`<p><a href="${view}">Open the shared translation: ${title}</a></p>`, head),
      200,
      { "Cache-Control": "no-cache" },
    );
  });
  return app;
}
