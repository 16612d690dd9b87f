/** Every way a photo arrives: picker, camera (phones), drag and drop, paste. */
import { byId } from "../lib/dom.ts";

export function wirePhotoInput(onFile: (file: File) => void): void {
  const drop = byId("drop");
  const take = (file: File | undefined) => file && onFile(file);
  for (const id of ["photo-file", "photo-camera"]) {
    const input = byId<HTMLInputElement>(id);
    input.addEventListener("change", () => take(input.files?.[0]));
    // The visually hidden file input holds the focus behind its button-styled
    // label; browsers open the picker on Space only, and a button opens on Enter too.
    input.addEventListener("keydown", (e) => {
      if (e.key !== "Enter" || e.repeat) return;
      e.preventDefault();
      try {
        input.showPicker();
      } catch {
        input.click(); // browsers without showPicker on file inputs
      }
    });
  }
  drop.addEventListener("dragover", (e) => {
    e.preventDefault();
    drop.classList.add("dragging");
  });
  drop.addEventListener("dragleave", () => drop.classList.remove("dragging"));
  drop.addEventListener("drop", (e) => {
    e.preventDefault();
    drop.classList.remove("dragging");
    take(e.dataTransfer?.files[0]);
  });
  // A file dropped beside the zone would make the browser open it in place of
  // the page, losing the photo and result: outside the zone, dropping does nothing.
  const outside = (e: DragEvent) => !drop.contains(e.target as Node | null);
  document.addEventListener("dragover", (e) => {
    if (!outside(e)) return;
    e.preventDefault();
    if (e.dataTransfer) e.dataTransfer.dropEffect = "none";
  });
  document.addEventListener("drop", (e) => {
    if (outside(e)) e.preventDefault();
  });
  document.addEventListener("paste", (e) => {
    take([...(e.clipboardData?.files ?? [])].find((f) => f.type.startsWith("image/")));
  });
  // The camera input only helps where the browser can open a camera (phones, tablets).
  // The input is hidden with its label: visually hidden alone, it would still be a tab stop.
  const noCamera = !matchMedia("(pointer: coarse)").matches;
  for (const id of ["camera-label", "photo-camera"]) byId(id).hidden = noCamera;
}
