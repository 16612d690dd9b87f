import { Hono } from "hono";
import manifestJson from "../../models/manifest.json";
import { parseManifest } from "../../models/schema.ts";

export interface Env {
  ASSETS: Fetcher;
  MODELS: R2Bucket;
  SITE_ORIGINS: string;
}

const manifest = parseManifest(manifestJson);
const app = new Hono<{ Bindings: Env }>();

app.get("/api/v1/models", (c) => c.json(manifest));
app.all("*", (c) => c.env.ASSETS.fetch(c.req.raw));

export default app;
