/** "Delete this share", on the result panel and on /share, with the token this device kept. */
import { deleteShare } from "../lib/share-client.ts";
import { forgetToken } from "../lib/share-tokens.ts";

/** Delete share `id`, saying how it went in `status`; true once the share is gone. */
export async function deleteFromDevice(
  button: HTMLButtonElement,
  status: HTMLElement,
  id: string,
  token: string,
): Promise<boolean> {
  button.disabled = true;
  status.textContent = "Deleting…";
  try {
    const outcome = await deleteShare(id, token);
    forgetToken(id);
    status.textContent =
      outcome === "deleted"
        ? "Deleted: the link no longer works and its images are gone from the server."
        : "This share no longer exists (it expired or was deleted already).";
    return true;
  } catch (err) {
    status.textContent = `Deleting failed: ${(err as Error).message}`;
    return false;
  } finally {
    button.disabled = false;
  }
}
