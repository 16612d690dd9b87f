/**
 * The share view: /share?id=ID (or a gone share's /s/ID) shows before/after (or the result alone) and
 * links back to the style. On the device that made the share (its delete
 * token is kept here), it can also be deleted.
 */
import { byId as el } from "../lib/dom.ts";
import { loadManifest } from "../lib/manifest.ts";
import { registerOffline } from "../lib/offline.ts";
import { getShare, type ShareView } from "../lib/share-client.ts";
import { savedToken } from "../lib/share-tokens.ts";
import { deleteFromDevice } from "./share-delete.ts";

const status = el("share-state");

/** "Sketch (Photo → Sketch, int8)" from the manifest, as /s/:id titles it; the raw id if it is gone. */
async function styleName(share: ShareView): Promise<string> {
  const entry = await loadManifest()
    .then(({ manifest }) => manifest.models.find((m) => m.id === share.modelId))
    .catch(() => undefined);
  const [from, to] = share.direction === "AtoB" ? (["A", "B"] as const) : (["B", "A"] as const);
  const title = entry?.title ?? share.modelId;
  const names = entry ? [entry.domains[from].name, entry.domains[to].name] : [from, to];
  return `Style “${title}” (${names.join(" → ")}, ${share.variant})`;
}

function offerDelete(id: string): void {
  const token = savedToken(id);
  if (!token) return;
  const button = el<HTMLButtonElement>("share-delete");
  el("share-manage").hidden = false;
  button.addEventListener("click", async () => {
    status.hidden = false; // says how deleting went, and stays when the view goes
    if (await deleteFromDevice(button, status, id, token)) el("share-view").hidden = true;
  });
}

/**
 * The share id: `/share?id=ID`, or `/s/ID`, where the worker serves this page
 * (as 404/410) for a share that is gone, so it says so in the site's own style.
 */
function shareId(url: URL): string | null {
  const link = /^\/s\/([^/]+)$/.exec(url.pathname)?.[1];
  if (!link) return url.searchParams.get("id");
  try {
    return decodeURIComponent(link);
  } catch {
    return link; // a malformed escape: the API will say there is no such share
  }
}

async function show(): Promise<void> {
  const id = shareId(new URL(location.href));
  if (!id) {
    status.textContent = "This link has no share id. Ask for the full link.";
    return;
  }
  try {
    const share = await getShare(id);
    const compare = el("share-compare");
    if (share.inputUrl) {
      compare
        .querySelector<HTMLImageElement>("[data-role=before]")
        ?.setAttribute("src", share.inputUrl);
      compare
        .querySelector<HTMLImageElement>("[data-role=after]")
        ?.setAttribute("src", share.outputUrl);
    } else {
      compare.hidden = true;
      const only = el<HTMLImageElement>("share-only");
      only.src = share.outputUrl;
      only.hidden = false;
    }
    const params = new URLSearchParams({ model: share.modelId, dir: share.direction });
    el<HTMLAnchorElement>("share-try").href = `/?${params}`;
    el("share-meta").textContent =
      `${await styleName(share)}. Shared ${new Date(share.createdAt).toLocaleDateString()}, available until ${new Date(share.expiresAt).toLocaleString()}.`;
    offerDelete(share.id);
    status.hidden = true;
    el("share-view").hidden = false;
  } catch (err) {
    status.textContent = `This share cannot be shown: ${(err as Error).message}`;
  }
}

void show();
registerOffline();
