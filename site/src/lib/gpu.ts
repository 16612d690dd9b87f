/**
 * WebGPU adapter and device for the WebGPU engine. The worker creates the
 * device itself (rather than letting ORT do it) so it can ask for shader-f16
 * only when the variant needs it, raise the buffer limits that large tiles
 * need, and notice a lost device.
 */

export class NoWebGpuError extends Error {
  override name = "NoWebGpuError";
}

/** Limits raised to the adapter's maximum: big activations and ORT's larger workgroups. */
const RAISED_LIMITS = [
  "maxBufferSize",
  "maxStorageBufferBindingSize",
  "maxComputeWorkgroupStorageSize",
  "maxComputeInvocationsPerWorkgroup",
  "maxComputeWorkgroupSizeX",
  "maxComputeWorkgroupSizeY",
  "maxComputeWorkgroupSizeZ",
  "maxComputeWorkgroupsPerDimension",
] as const;

export interface GpuHandle {
  device: GPUDevice;
  /** e.g. "google swiftshader (fallback adapter)". */
  description: string;
  /** Set when the device is lost (driver reset, destroy()); runs fail after that. */
  lost(): string | undefined;
}

export async function openGpu(shaderF16: boolean): Promise<GpuHandle> {
  const gpu = (self.navigator as Navigator & { gpu?: GPU }).gpu;
  if (!gpu) throw new NoWebGpuError("this browser has no WebGPU");
  const adapter = await gpu.requestAdapter();
  if (!adapter)
    throw new NoWebGpuError("no WebGPU adapter is available (GPU disabled or blocklisted)");
  if (shaderF16 && !adapter.features.has("shader-f16")) {
    throw new NoWebGpuError("the WebGPU adapter lacks shader-f16, which the fp16 model needs");
  }
  const requiredLimits: Record<string, number> = {};
  for (const name of RAISED_LIMITS) requiredLimits[name] = adapter.limits[name];
  let device: GPUDevice;
  try {
    device = await adapter.requestDevice({
      requiredFeatures: shaderF16 ? ["shader-f16"] : [],
      requiredLimits,
    });
  } catch (err) {
    // Not a session failure, but WebAssembly may still run: reported as no WebGPU.
    throw new NoWebGpuError(`the WebGPU device could not be created (${(err as Error).message})`);
  }
  let lostReason: string | undefined;
  void device.lost.then((info) => {
    lostReason = info.message || info.reason || "device lost";
  });
  const info = adapter.info;
  const name = [info.vendor, info.architecture, info.description].filter(Boolean).join(" ");
  return {
    device,
    description: `${name || "unknown adapter"}${info.isFallbackAdapter ? " (fallback adapter)" : ""}`,
    lost: () => lostReason,
  };
}
