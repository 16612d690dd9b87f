/**
 * The webgpu training backend: @tensorflow/tfjs-backend-webgpu on the page's
 * navigator.gpu in a browser, or on Dawn (the `webgpu` package) in Node.
 * Free of Node imports, so the browser bundle can use it as it is.
 */
import * as tf from "@tensorflow/tfjs-core";

/**
 * Where Dawn finds no Vulkan/Metal/D3D12 adapter, a software Vulkan driver
 * can stand in: Debian's Chromium ships SwiftShader's ICD.
 */
export const SWIFTSHADER_ICD = "/usr/lib/chromium/vk_swiftshader_icd.json";

/** Start the tfjs webgpu backend; resolves to a description of the adapter. */
export async function loadWebgpu(): Promise<string> {
  const nav = globalThis.navigator as Navigator | undefined;
  if (!nav?.gpu) {
    if (typeof process === "undefined") throw new Error("this browser has no navigator.gpu");
    const { create, globals } = await import("webgpu");
    Object.assign(globalThis, globals);
    // Node's navigator has no gpu; Dawn's stands in for it.
    Object.defineProperty(globalThis.navigator, "gpu", { value: create([]), configurable: true });
  }
  const adapter = await globalThis.navigator.gpu.requestAdapter({
    powerPreference: "high-performance",
  });
  if (!adapter) {
    throw new Error(
      "no WebGPU adapter: it needs a GPU with Vulkan, Metal or D3D12 drivers " +
        "(on Linux also the Vulkan loader, Debian's libvulkan1); " +
        `for a (slow) software adapter set VK_ICD_FILENAMES=${SWIFTSHADER_ICD} (Debian's chromium)`,
    );
  }
  await import("@tensorflow/tfjs-backend-webgpu");
  if (!(await tf.setBackend("webgpu"))) throw new Error("the webgpu backend failed to initialise");
  // adapter.info is missing before Chromium 127 and in older Dawn builds.
  const info: Partial<GPUAdapterInfo> = adapter.info ?? {};
  const what = [info.vendor, info.architecture, info.device, info.description].filter(Boolean);
  return `webgpu (${what.join(" ") || "unnamed adapter"})`;
}
