/**
 * The Share button, the link it produces and "Delete this share". The upload
 * code loads only when pressed; the delete token is kept on this device
 * (lib/share-tokens.ts) so /share can still delete it after a reload.
 */
import type { Direction, Dtype } from "../../../models/schema.ts";
import { byId } from "../lib/dom.ts";
import { rememberToken } from "../lib/share-tokens.ts";

export interface Shareable {
  modelId: string;
  direction: Direction;
  variant: Dtype;
  output: Blob;
  input?: Blob;
}

export interface SharePanel {
  /** A new result is shown: nothing of the previous one's share (link, choice, status) stays. */
  reset(): void;
}

/** `current` returns what would be shared now (the original only if the visitor ticks it). */
export function wireSharePanel(current: (withInput: boolean) => Shareable | undefined): SharePanel {
  const share = byId<HTMLButtonElement>("share");
  const withInput = byId<HTMLInputElement>("share-input");
  const result = byId("share-result");
  const link = byId("share-link");
  const url = byId<HTMLInputElement>("share-url");
  const status = byId("share-status");
  const manage = byId("share-manage");
  const remove = byId<HTMLButtonElement>("share-delete");
  const kept = byId("share-kept");
  /** The share whose link is shown: what Delete removes. */
  let shown: { id: string; token: string } | undefined;
  let uploading = false;
  /** Counts results, so an upload that ends after a new result says whose link it is. */
  let generation = 0;

  /** The status line; a failure looks like the page's other errors and is announced at once. */
  const setStatus = (text: string, kind: "error" | "info" = "info") => {
    status.textContent = text;
    status.classList.toggle("error", kind === "error");
    status.setAttribute("role", kind === "error" ? "alert" : "status");
  };
  const enableShare = () => {
    share.disabled = uploading || current(false) === undefined;
  };
  const clearLink = () => {
    shown = undefined;
    url.value = "";
    link.hidden = true;
    manage.hidden = true;
  };

  share.addEventListener("click", async () => {
    const what = current(withInput.checked);
    if (!what) return;
    const started = generation;
    uploading = true;
    enableShare();
    clearLink();
    setStatus("Uploading…");
    result.hidden = false;
    try {
      const { createShare } = await import("../lib/share-client.ts");
      const created = await createShare(what);
      shown = { id: created.id, token: created.deleteToken };
      url.value = created.url;
      link.hidden = false;
      kept.textContent = rememberToken(created.id, created.deleteToken, created.expiresAt)
        ? "The key that deletes this share stays in this browser, on this device only: open the link here to delete it later."
        : "This browser cannot store the key that deletes this share: delete it now if you want it gone before it expires.";
      manage.hidden = false;
      const whose = started === generation ? "" : "This link is for the previous result. ";
      setStatus(`${whose}Link ready; it expires ${new Date(created.expiresAt).toLocaleString()}.`);
      result.hidden = false;
    } catch (err) {
      setStatus(`Sharing failed: ${(err as Error).message}`, "error");
    } finally {
      uploading = false;
      enableShare();
    }
  });
  byId<HTMLButtonElement>("share-copy").addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(url.value);
      setStatus("Copied to the clipboard.");
    } catch {
      url.select();
      setStatus("Select the link and copy it (Ctrl+C).");
    }
  });
  remove.addEventListener("click", async () => {
    const target = shown;
    if (!target) return;
    const { deleteFromDevice } = await import("./share-delete.ts");
    if ((await deleteFromDevice(remove, status, target.id, target.token)) && shown === target) {
      clearLink();
    }
  });

  return {
    reset() {
      generation++;
      withInput.checked = false;
      clearLink();
      setStatus("");
      result.hidden = true;
      enableShare();
    },
  };
}
