/** The share view: /share?id=ID shows before/after (or the result alone) and links back to the style. */
import { byId as el } from "../lib/dom.ts";
import { registerOffline } from "../lib/offline.ts";
import { getShare } from "../lib/share-client.ts";

const status = el("share-state");

async function show(): Promise<void> {
  const id = new URL(location.href).searchParams.get("id");
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
      `Style “${share.modelId}” (${share.direction === "AtoB" ? "A → B" : "B → A"}, ${share.variant}). Shared ${new Date(share.createdAt).toLocaleDateString()}, available until ${new Date(share.expiresAt).toLocaleString()}.`;
    status.hidden = true;
    el("share-view").hidden = false;
  } catch (err) {
    status.textContent = `This share cannot be shown: ${(err as Error).message}`;
  }
}

void show();
registerOffline();
