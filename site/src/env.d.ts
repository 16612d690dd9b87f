/// <reference types="astro/client" />
/// <reference types="@webgpu/types" />

/** Site path of the onnxruntime-web files copied at build, e.g. "/ort/1.30.0/" (astro.config.mjs). */
declare const __ORT_BASE__: string;
