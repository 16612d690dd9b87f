/**
 * Dropping model files (.pth, .onnx) on the own-model zone. The page keeps
 * drops outside the photo zone from opening the file in place of the page
 * (photo-input.ts); this zone takes its drops before that guard sees them.
 */
import { byId } from "../lib/dom.ts";

export function wireOwnModelDrop(onFiles: (files: File[]) => void): void {
  const zone = byId("own-model-drop");
  zone.addEventListener("dragover", (e) => {
    e.preventDefault();
    e.stopPropagation();
    if (e.dataTransfer) e.dataTransfer.dropEffect = "copy";
    zone.classList.add("dragging");
  });
  zone.addEventListener("dragleave", () => zone.classList.remove("dragging"));
  zone.addEventListener("drop", (e) => {
    e.preventDefault();
    e.stopPropagation();
    zone.classList.remove("dragging");
    const files = [...(e.dataTransfer?.files ?? [])];
    if (files.length > 0) onFiles(files);
  });
}
