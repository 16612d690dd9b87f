/**
 * The edge API and the site in one worker: manifest, model file fallback
 * downloads, share links, and site/dist through the ASSETS binding (the worker
 * runs first so static files get the same security headers).
 */
import { Hono } from "hono";
import type { AppEnv } from "./env.ts";
import { onError } from "./errors.ts";
import { STATIC_ALLOW, unrouted } from "./http/allow.ts";
import { manifestLoader } from "./manifest.ts";
import { siteCors } from "./middleware/cors.ts";
import { securityHeaders } from "./middleware/security-headers.ts";
import { OPENAPI } from "./openapi.ts";
import { fileRoutes } from "./routes/files.ts";
import { modelRoutes } from "./routes/models.ts";
import { sharePageRoutes } from "./routes/share-page.ts";
import { shareRoutes } from "./routes/shares.ts";

const loadManifest = manifestLoader();
const app = new Hono<AppEnv>();

app.onError(onError);
app.use("*", securityHeaders());
app.use(
  "/api/*",
  siteCors({
    allowMethods: ["GET", "HEAD", "POST", "DELETE", "OPTIONS"],
    allowHeaders: ["Authorization", "Content-Type", "If-None-Match"],
    // Not CORS-safelisted: ETag, Location (201), Retry-After (429), WWW-Authenticate (401).
    exposeHeaders: ["ETag", "Location", "Retry-After", "WWW-Authenticate"],
  }),
);
app.use(
  "/models/*",
  siteCors({
    // Range is safelisted only for simple `bytes=a-b`; a suffix range needs the preflight.
    allowHeaders: ["Range", "If-Range", "If-None-Match"],
    exposeHeaders: ["Content-Length", "Content-Range", "ETag", "Repr-Digest", "Accept-Ranges"],
  }),
);

app.get("/api/v1/openapi.json", (c) => c.json(OPENAPI));
app.route("/api/v1/models", modelRoutes(loadManifest));
app.route("/api/v1/shares", shareRoutes(loadManifest));
app.route("/models", fileRoutes(loadManifest));
app.route("/s", sharePageRoutes(loadManifest));
// CORS answers OPTIONS on /api/* and /models/*; nothing does on /s/*.
app.all("/api/*", unrouted(app, { preflight: true }));
app.all("/models/*", unrouted(app, { preflight: true }));
app.all("/s/*", unrouted(app, { preflight: false }));

// Everything else is the static site. Fetched responses have immutable
// headers; copy so the security middleware can add its own.
app.all("*", async (c) => {
  const res = await c.env.ASSETS.fetch(c.req.raw);
  const copy = new Response(res.body, res);
  // The assets binding answers other methods with 405 but no Allow, which RFC 9110 §15.5.6 requires.
  if (copy.status === 405 && !copy.headers.has("Allow")) copy.headers.set("Allow", STATIC_ALLOW);
  return copy;
});

export default app;
