import { defineConfig } from "astro/config";
import staticAssets from "./src/integrations/static-assets.ts";

export default defineConfig({
  output: "static",
  outDir: "./dist",
  build: {
    format: "file",
    // The worker's CSP allows scripts from 'self' only: never inline them.
    inlineStylesheets: "never",
  },
  integrations: [staticAssets()],
  vite: {
    build: { assetsInlineLimit: 0 },
    // The inference worker is an ES module (it imports onnxruntime-web at run time).
    worker: { format: "es" },
  },
});
