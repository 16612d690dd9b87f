/** The Share button and the link it produces. The upload code loads only when pressed. */
import type { Direction, Dtype } from "../../../models/schema.ts";
import { byId } from "../lib/dom.ts";

export interface Shareable {
  modelId: string;
  direction: Direction;
  variant: Dtype;
  output: Blob;
  input?: Blob;
}

/** `current` returns what would be shared now (the original only if the visitor ticks it). */
export function wireSharePanel(current: (withInput: boolean) => Shareable | undefined): void {
  const share = byId<HTMLButtonElement>("share");
  const withInput = byId<HTMLInputElement>("share-input");
  const result = byId("share-result");
  const url = byId<HTMLInputElement>("share-url");
  const status = byId("share-status");
  share.addEventListener("click", async () => {
    const what = current(withInput.checked);
    if (!what) return;
    share.disabled = true;
    status.textContent = "Uploading…";
    result.hidden = false;
    try {
      const { createShare } = await import("../lib/share-client.ts");
      const created = await createShare(what);
      url.value = created.url;
      status.textContent = `Link ready; it expires ${new Date(created.expiresAt).toLocaleString()}.`;
    } catch (err) {
      status.textContent = `Sharing failed: ${(err as Error).message}`;
    } finally {
      share.disabled = false;
    }
  });
  byId<HTMLButtonElement>("share-copy").addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(url.value);
      status.textContent = "Copied to the clipboard.";
    } catch {
      url.select();
      status.textContent = "Select the link and copy it (Ctrl+C).";
    }
  });
}
