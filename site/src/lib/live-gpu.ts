/**
 * The WebGPU live path, in the live worker: the frame never leaves the GPU.
 * The camera's VideoFrame is imported as an external texture; a compute
 * shader shrinks it by area averaging (models/resize.ts's weights) to whole
 * bytes and writes the planar [-1, 1] tensor into a storage buffer; ORT runs
 * on that buffer and writes its output into another (GPU-resident I/O, see
 * GeneratorSession.runFrame); a render pass draws the output buffer on the
 * canvas. Only a snapshot reads pixels back.
 */

import type { GpuHandle } from "./gpu.ts";
import type { FramePixels, FrameResult, LiveFrames } from "./live-cpu.ts";
import { chwToRgba } from "./live-cpu.ts";
import { EngineError, type GeneratorSession } from "./ort-engine.ts";

const CONVERT = /* wgsl */ `
struct Size { w: u32, h: u32 }
@group(0) @binding(0) var frame: texture_external;
@group(0) @binding(1) var<storage, read_write> tensor: array<f32>;
@group(0) @binding(2) var<uniform> size: Size;

@compute @workgroup_size(8, 8)
fn main(@builtin(global_invocation_id) id: vec3u) {
  if (id.x >= size.w || id.y >= size.h) { return; }
  // The source area this output pixel covers, edge pixels weighted by overlap.
  let src = vec2f(textureDimensions(frame));
  let scale = src / vec2f(f32(size.w), f32(size.h));
  let start = vec2f(id.xy) * scale;
  let end = min(src, start + scale);
  let lo = vec2u(floor(start));
  let hi = min(vec2u(src) - 1u, vec2u(ceil(end)) - 1u);
  var sum = vec3f(0.0);
  for (var y = lo.y; y <= hi.y; y++) {
    let wy = (min(end.y, f32(y + 1u)) - max(start.y, f32(y))) / scale.y;
    var row = vec3f(0.0);
    for (var x = lo.x; x <= hi.x; x++) {
      let wx = (min(end.x, f32(x + 1u)) - max(start.x, f32(x))) / scale.x;
      row += wx * textureLoad(frame, vec2u(x, y)).rgb;
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

const DRAW = /* wgsl */ `
struct Size { w: u32, h: u32 }
@group(0) @binding(0) var<storage, read> image: array<f32>;
@group(0) @binding(1) var<uniform> size: Size;

@vertex fn vs(@builtin(vertex_index) v: u32) -> @builtin(position) vec4f {
  let xy = vec2f(f32((v << 1u) & 2u), f32(v & 2u));
  return vec4f(xy * 2.0 - 1.0, 0.0, 1.0);
}

@fragment fn fs(@builtin(position) pos: vec4f) -> @location(0) vec4f {
  let i = u32(pos.y) * size.w + u32(pos.x);
  let plane = size.w * size.h;
  let v = vec3f(image[i], image[plane + i], image[2u * plane + i]);
  return vec4f(round(clamp((v + 1.0) * 127.5, vec3f(0.0), vec3f(255.0))) / 255.0, 1.0);
}`;

interface Sized {
  width: number;
  height: number;
  input: GPUBuffer;
  output: GPUBuffer;
  size: GPUBuffer;
  draw: GPUBindGroup;
}

export class GpuFrames implements LiveFrames {
  private readonly session: GeneratorSession;
  private readonly gpu: GpuHandle;
  private readonly device: GPUDevice;
  private readonly ctx: GPUCanvasContext;
  private readonly convert: GPUComputePipeline;
  private readonly draw: GPURenderPipeline;
  /** Wait for the GPU after each stage, so the stage times are complete (the benchmark's breakdown). */
  private readonly profile: boolean;
  private sized: Sized | undefined;
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
    const ctx = canvas.getContext("webgpu");
    if (!ctx) throw new EngineError("the live canvas has no WebGPU context");
    ctx.configure({
      device: this.device,
      format: navigator.gpu.getPreferredCanvasFormat(),
      alphaMode: "opaque",
    });
    this.ctx = ctx;
    const module = (code: string) => this.device.createShaderModule({ code });
    this.convert = this.device.createComputePipeline({
      layout: "auto",
      compute: { module: module(CONVERT), entryPoint: "main" },
    });
    const drawModule = module(DRAW);
    this.draw = this.device.createRenderPipeline({
      layout: "auto",
      vertex: { module: drawModule, entryPoint: "vs" },
      fragment: {
        module: drawModule,
        entryPoint: "fs",
        targets: [{ format: navigator.gpu.getPreferredCanvasFormat() }],
      },
    });
  }

  /** Buffers of one frame size, remade only when it changes. */
  private buffers(width: number, height: number): Sized {
    const s = this.sized;
    if (s && s.width === width && s.height === height) return s;
    if (s) for (const b of [s.input, s.output, s.size]) b.destroy();
    const bytes = 3 * width * height * 4;
    const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
    const input = this.device.createBuffer({ size: bytes, usage });
    const output = this.device.createBuffer({ size: bytes, usage });
    const size = this.device.createBuffer({
      size: 8,
      usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
    });
    this.device.queue.writeBuffer(size, 0, new Uint32Array([width, height]));
    const draw = this.device.createBindGroup({
      layout: this.draw.getBindGroupLayout(0),
      entries: [
        { binding: 0, resource: { buffer: output } },
        { binding: 1, resource: { buffer: size } },
      ],
    });
    const { canvas } = this.ctx;
    canvas.width = width;
    canvas.height = height;
    this.drawn = false;
    this.sized = { width, height, input, output, size, draw };
    return this.sized;
  }

  private async stageDone(): Promise<void> {
    if (this.profile) await this.device.queue.onSubmittedWorkDone();
  }

  private checkDevice(): void {
    const lost = this.gpu.lost();
    if (lost) throw new EngineError(`the WebGPU device was lost (${lost})`);
  }

  async frame(frame: VideoFrame, width: number, height: number): Promise<FrameResult> {
    this.checkDevice();
    const t0 = performance.now();
    const s = this.buffers(width, height);
    const { device } = this;
    // An external texture lives until the task ends: imported, bound and used right here.
    const texture = device.importExternalTexture({ source: frame });
    const bind = device.createBindGroup({
      layout: this.convert.getBindGroupLayout(0),
      entries: [
        { binding: 0, resource: texture },
        { binding: 1, resource: { buffer: s.input } },
        { binding: 2, resource: { buffer: s.size } },
      ],
    });
    const encoder = device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    pass.setPipeline(this.convert);
    pass.setBindGroup(0, bind);
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
    const drawEncoder = device.createCommandEncoder();
    const render = drawEncoder.beginRenderPass({
      colorAttachments: [
        {
          view: this.ctx.getCurrentTexture().createView(),
          loadOp: "clear",
          storeOp: "store",
          clearValue: { r: 0, g: 0, b: 0, a: 1 },
        },
      ],
    });
    render.setPipeline(this.draw);
    render.setBindGroup(0, s.draw);
    render.draw(3);
    render.end();
    device.queue.submit([drawEncoder.finish()]);
    // One frame on the GPU at a time: the next is taken only when this one is drawn, so
    // latency stays bounded instead of frames piling up in the GPU's queue.
    await device.queue.onSubmittedWorkDone();
    this.checkDevice();
    this.drawn = true;
    return { convert: t1 - t0, run: t2 - t1, draw: performance.now() - t2 };
  }

  /** Reads the last frame's tensors back (snapshots only): submitted before any later frame's work. */
  async lastFrame(): Promise<FramePixels | undefined> {
    const s = this.sized;
    if (!s || !this.drawn) return undefined;
    const bytes = 3 * s.width * s.height * 4;
    const staging = [s.input, s.output].map((from) => {
      const to = this.device.createBuffer({
        size: bytes,
        usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
      });
      const encoder = this.device.createCommandEncoder();
      encoder.copyBufferToBuffer(from, 0, to, 0, bytes);
      this.device.queue.submit([encoder.finish()]);
      return to;
    });
    const plane = s.width * s.height;
    const [input, output] = await Promise.all(
      staging.map(async (buffer) => {
        await buffer.mapAsync(GPUMapMode.READ);
        const rgba = new Uint8ClampedArray(4 * plane);
        chwToRgba(new Float32Array(buffer.getMappedRange()), rgba, plane);
        buffer.destroy();
        return rgba;
      }),
    );
    return {
      input: input as Uint8ClampedArray,
      output: output as Uint8ClampedArray,
      width: s.width,
      height: s.height,
    };
  }

  dispose(): void {
    const s = this.sized;
    if (s) for (const b of [s.input, s.output, s.size]) b.destroy();
    this.sized = undefined;
  }
}
