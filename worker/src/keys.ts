/** Object keys in the R2 bucket; the seed script (Node) and the worker share them. */
export const MANIFEST_KEY = "manifest.json";
export const modelKey = (id: string, file: string) => `models/${id}/${file}`;
export const shareKey = (id: string, part: "meta.json" | "output" | "input") =>
  `shares/${id}/${part}`;
