/**
 * The camera for live mode: open one (the default, or a chosen one), list
 * them, and say in words why one could not be opened or stopped.
 */

export type CameraProblem = "no-camera" | "denied" | "busy" | "unplugged" | "unsupported" | "other";

export class CameraError extends Error {
  override name = "CameraError";
  readonly problem: CameraProblem;
  constructor(problem: CameraProblem, message: string) {
    super(message);
    this.problem = problem;
  }
}

/** getUserMedia's DOMException names -> what went wrong. */
const PROBLEMS: Readonly<Record<string, CameraProblem>> = Object.freeze({
  NotFoundError: "no-camera",
  OverconstrainedError: "no-camera",
  NotAllowedError: "denied",
  SecurityError: "denied",
  NotReadableError: "busy",
  AbortError: "busy",
});

const MESSAGES: Readonly<Record<CameraProblem, string>> = Object.freeze({
  "no-camera":
    "No camera was found on this device. Connect one and press Start camera, or add a photo instead.",
  denied:
    "Camera access was denied. Allow the camera for this site (the site settings beside the address bar), then press Start camera again.",
  busy: "The camera could not be started: another app or tab may be using it. Close that app and press Start camera again.",
  unplugged:
    "The camera stopped: it was unplugged or taken by another app. Reconnect it and press Start camera again.",
  unsupported:
    "This browser offers no camera access here (it needs a secure https page). Add a photo instead.",
  other: "The camera could not be started",
});

export function cameraMessage(err: CameraError): string {
  return err.problem === "other" ? `${MESSAGES.other}: ${err.message}.` : MESSAGES[err.problem];
}

/** The camera lost while streaming (its track ended without our stop()). */
export function unplugged(): CameraError {
  return new CameraError("unplugged", "the camera's track ended");
}

/** Opens a camera at up to 640x480 (enough for the largest live size); video only. */
export async function openCamera(deviceId?: string): Promise<MediaStream> {
  if (!navigator.mediaDevices?.getUserMedia)
    throw new CameraError("unsupported", "no mediaDevices");
  try {
    return await navigator.mediaDevices.getUserMedia({
      audio: false,
      video: {
        ...(deviceId ? { deviceId: { exact: deviceId } } : {}),
        width: { ideal: 640 },
        height: { ideal: 480 },
      },
    });
  } catch (err) {
    const name = err instanceof DOMException ? err.name : "";
    const message = err instanceof Error ? err.message : String(err);
    throw new CameraError(PROBLEMS[name] ?? "other", message || name);
  }
}

/** The cameras (named once permission is given), for the front/back choice. */
export async function listCameras(): Promise<{ id: string; label: string }[]> {
  const devices = await navigator.mediaDevices.enumerateDevices();
  return devices
    .filter((d) => d.kind === "videoinput")
    .map((d, i) => ({ id: d.deviceId, label: d.label || `Camera ${i + 1}` }));
}
