/** Registers the offline shell (public/sw.js). Failing to register only loses offline use. */
export function registerOffline(): void {
  if (!("serviceWorker" in navigator)) return;
  navigator.serviceWorker
    .register("/sw.js", { type: "classic", scope: "/" })
    .catch(() => undefined);
}
