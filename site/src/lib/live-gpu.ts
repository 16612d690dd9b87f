/**
 * The WebGPU live path, in the live worker. The VideoFrame is copied as RGBA
 * into a reused buffer (VideoFrame.copyTo) and written to a storage buffer; a
 * compute shader shrinks it by area averaging (models/resize.ts's weights) to
 * whole bytes and writes the planar [-1, 1] tensor into another; ORT runs on
 * that buffer and writes its output into a third (GPU-resident I/O, see
 * GeneratorSession.runFrame), so the tensors never visit the CPU; a second
 * compute shader packs the output into RGBA bytes, which are read back (a
 * third of the float output) and put on the page's canvas.
 *
 * Two shortcuts the issue asked for fail with onnxruntime-web 1.30's WebGPU
 * provider in Chromium 156 (measured on SwiftShader, docs/site.md "Live
 * camera"): importing the frame (importExternalTexture or
 * copyExternalImageToTexture) on the provider's device makes every later run
 * fail ("No cached or pending pipeline for deferred dispatch", then a lost
 * device), and drawing on a WebGPU canvas with that device makes its later
 * callbacks fail ("A valid external Instance reference no longer exists").
 */
import type { GpuHandle } from "./gpu.ts";
import type { FramePixels, FrameResult, LiveFrames } from "./live-cpu.ts";
import { chwToRgba } from "./live-cpu.ts";
import { EngineError, type GeneratorSession } from "./ort-engine.ts";

const CONVERT = /* wgsl */ `
struct Size { srcW: u32, srcH: u32, w: u32, h: u32 }
@group(0) @binding(0) var<storage, read> frame: array<u32>;
@group(0) @binding(1) var<storage, read_write> tensor: array<f32>;
@group(0) @binding(2) var<uniform> size: Size;

@compute @workgroup_size(8, 8)
fn main(@builtin(global_invocation_id) id: vec3u) {
  if (id.x >= size.w || id.y >= size.h) { return; }
  // The source area this output pixel covers, edge pixels weighted by overlap.
  let src = vec2f(f32(size.srcW), f32(size.srcH));
  let scale = src / vec2f(f32(size.w), f32(size.h));
  let start = vec2f(id.xy) * scale;
  let end = min(src, start + scale);
  let lo = vec2u(floor(start));
  let hi = min(vec2u(size.srcW, size.srcH) - 1u, vec2u(ceil(end)) - 1u);
  var sum = vec3f(0.0);
  for (var y = lo.y; y <= hi.y; y++) {
    let wy = (min(end.y, f32(y + 1u)) - max(start.y, f32(y))) / scale.y;
    var row = vec3f(0.0);
    for (var x = lo.x; x <= hi.x; x++) {
      let wx = (min(end.x, f32(x + 1u)) - max(start.x, f32(x))) / scale.x;
      row += wx * unpack4x8unorm(frame[y * size.srcW + x]).rgb;
    }
    sum += wy * row;
  }
  // Whole bytes, as the WebAssembly path and a snapshot's PNG have them, then [-1, 1].
  let px = round(clamp(sum * 255.0, vec3f(0.0), vec3f(255.0)));
  let plane = size.w * size.h;
  let i = id.y * size.w + id.x;
  tensor[i] = px.r / 127.5 - 1.0;
  tensor[plane + i] = px.g / 127.5 - 1.0;
  tensor[2u * plane + i] = px.b / 127.5 - 1.0;
}`;

const PACK = /* wgsl */ `
struct Size { srcW: u32, srcH: u32, w: u32, h: u32 }
@group(0) @binding(0) var<storage, read> image: array<f32>;
@group(0) @binding(1) var<storage, read_write> rgba: array<u32>;
@group(0) @binding(2) var<uniform> size: Size;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3u) {
  let plane = size.w * size.h;
  let i = id.x;
  if (i >= plane) { return; }
  let v = vec3f(image[i], image[plane + i], image[2u * plane + i]);
  // models/contract.ts unitToByte: (v + 1) * 127.5, rounded and clamped.
  rgba[i] = pack4x8unorm(vec4f(round(clamp((v + 1.0) * 127.5, vec3f(0.0), vec3f(255.0))) / 255.0, 1.0));
}`;

interface Sized {
  srcW: number;
  srcH: number;
  width: number;
  height: number;
  /** The camera frame's RGBA, on the CPU (reused) and on the GPU. */
  pixels: Uint8Array<ArrayBuffer>;
  frame: GPUBuffer;
  convert: GPUBindGroup;
  input: GPUBuffer;
  output: GPUBuffer;
  size: GPUBuffer;
  /** The output as RGBA bytes, on the GPU, in a mappable copy and as the canvas's image. */
  packed: GPUBuffer;
  staging: GPUBuffer;
  pack: GPUBindGroup;
  image: ImageData;
}

export class GpuFrames implements LiveFrames {
  private readonly session: GeneratorSession;
  private readonly gpu: GpuHandle;
  private readonly device: GPUDevice;
  private readonly ctx: OffscreenCanvasRenderingContext2D;
  private readonly convert: GPUComputePipeline;
  private readonly pack: GPUComputePipeline;
  /** Wait for the GPU after each stage, so the stage times are complete (the benchmark's breakdown). */
  private readonly profile: boolean;
  private sized: Sized | undefined;
  private readonly lostSignal: Promise<never>;
  private drawn = false;

  constructor(
    session: GeneratorSession,
    gpu: GpuHandle,
    canvas: OffscreenCanvas,
    profile: boolean,
  ) {
    this.session = session;
    this.gpu = gpu;
    this.device = gpu.device;
    this.profile = profile;
    const ctx = canvas.getContext("2d", { alpha: false });
    if (!ctx) throw new Error("the live canvas has no 2D context");
    this.ctx = ctx;
    const pipeline = (code: string) =>
      this.device.createComputePipeline({
        layout: "auto",
        compute: { module: this.device.createShaderModule({ code }), entryPoint: "main" },
      });
    this.convert = pipeline(CONVERT);
    this.pack = pipeline(PACK);
    // Work already queued on a device that is then lost may never settle (a
    // run or a mapAsync stays pending), so every frame races the loss itself.
    this.lostSignal = this.device.lost.then((info) => {
      throw new EngineError(
        `the WebGPU device was lost (${info.message || info.reason || "device lost"})`,
      );
    });
    this.lostSignal.catch(() => {}); // observed by frame(); no unhandled rejection meanwhile
  }

  /** Buffers for a camera of srcW x srcH translated at width x height, remade only when either changes. */
  private buffers(srcW: number, srcH: number, width: number, height: number): Sized {
    const s = this.sized;
    if (s && s.srcW === srcW && s.srcH === srcH && s.width === width && s.height === height) {
      return s;
    }
    this.dispose();
    const { device } = this;
    const bytes = 3 * width * height * 4;
    const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
    const frame = device.createBuffer({ size: srcW * srcH * 4, usage });
    const input = device.createBuffer({ size: bytes, usage });
    const output = device.createBuffer({ size: bytes, usage });
    const packed = device.createBuffer({ size: width * height * 4, usage });
    const size = device.createBuffer({
      size: 16,
      usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
    });
    device.queue.writeBuffer(size, 0, new Uint32Array([srcW, srcH, width, height]));
    const group = (pipeline: GPUPipelineBase, buffers: GPUBuffer[]) =>
      device.createBindGroup({
        layout: pipeline.getBindGroupLayout(0),
        entries: buffers.map((buffer, binding) => ({ binding, resource: { buffer } })),
      });
    this.ctx.canvas.width = width;
    this.ctx.canvas.height = height;
    this.drawn = false;
    this.sized = {
      srcW,
      srcH,
      width,
      height,
      pixels: new Uint8Array(new ArrayBuffer(srcW * srcH * 4)),
      frame,
      convert: group(this.convert, [frame, input, size]),
      input,
      output,
      size,
      packed,
      staging: device.createBuffer({
        size: width * height * 4,
        usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
      }),
      pack: group(this.pack, [output, packed, size]),
      image: new ImageData(width, height),
    };
    return this.sized;
  }

  private async stageDone(): Promise<void> {
    if (this.profile) await this.device.queue.onSubmittedWorkDone();
  }

  private checkDevice(): void {
    const lost = this.gpu.lost();
    if (lost) throw new EngineError(`the WebGPU device was lost (${lost})`);
  }

  frame(frame: VideoFrame, width: number, height: number): Promise<FrameResult> {
    return Promise.race([this.translate(frame, width, height), this.lostSignal]);
  }

  private async translate(frame: VideoFrame, width: number, height: number): Promise<FrameResult> {
    this.checkDevice();
    const t0 = performance.now();
    const { width: srcW, height: srcH } = frame.visibleRect ?? { width: 0, height: 0 };
    const s = this.buffers(srcW, srcH, width, height);
    const { device } = this;
    await frame.copyTo(s.pixels, { format: "RGBA", colorSpace: "srgb" });
    device.queue.writeBuffer(s.frame, 0, s.pixels);
    const encoder = device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    pass.setPipeline(this.convert);
    pass.setBindGroup(0, s.convert);
    pass.dispatchWorkgroups(Math.ceil(width / 8), Math.ceil(height / 8));
    pass.end();
    device.queue.submit([encoder.finish()]);
    await this.stageDone();
    const t1 = performance.now();
    try {
      await this.session.runFrame(s.input, width, height, s.output);
    } catch (err) {
      this.checkDevice();
      throw err;
    }
    await this.stageDone();
    const t2 = performance.now();
    const encoder2 = device.createCommandEncoder();
    const packPass = encoder2.beginComputePass();
    packPass.setPipeline(this.pack);
    packPass.setBindGroup(0, s.pack);
    packPass.dispatchWorkgroups(Math.ceil((width * height) / 64));
    packPass.end();
    encoder2.copyBufferToBuffer(s.packed, 0, s.staging, 0, width * height * 4);
    device.queue.submit([encoder2.finish()]);
    // Waiting for this frame's bytes also keeps one frame at a time on the GPU, so
    // latency stays bounded instead of frames piling up in the GPU's queue.
    await s.staging.mapAsync(GPUMapMode.READ);
    s.image.data.set(new Uint8Array(s.staging.getMappedRange()));
    s.staging.unmap();
    this.checkDevice();
    this.ctx.putImageData(s.image, 0, 0);
    this.drawn = true;
    return { convert: t1 - t0, run: t2 - t1, draw: performance.now() - t2 };
  }

  /** The last frame: its input read back (snapshots only), its output as drawn. */
  async lastFrame(): Promise<FramePixels | undefined> {
    const s = this.sized;
    if (!s || !this.drawn) return undefined;
    const plane = s.width * s.height;
    const staging = this.device.createBuffer({
      size: 3 * plane * 4,
      usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
    });
    const encoder = this.device.createCommandEncoder();
    encoder.copyBufferToBuffer(s.input, 0, staging, 0, 3 * plane * 4);
    this.device.queue.submit([encoder.finish()]);
    const output = s.image.data.slice();
    await staging.mapAsync(GPUMapMode.READ);
    const input = new Uint8ClampedArray(4 * plane);
    chwToRgba(new Float32Array(staging.getMappedRange()), input, plane);
    staging.destroy();
    return { input, output, width: s.width, height: s.height };
  }

  dispose(): void {
    const s = this.sized;
    if (s) for (const b of [s.frame, s.input, s.output, s.size, s.packed, s.staging]) b.destroy();
    this.sized = undefined;
  }
}
