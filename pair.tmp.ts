import * as tf from "@tensorflow/tfjs-core";
import { CycleGAN } from "./training/model/cyclegan.ts";
import { syntheticBatch } from "./training/model/step-run.ts";
import { WorkerPair } from "./training/model/two-workers.ts";
import { parseTrainOptions } from "./training/options.ts";
import { initBackend } from "./training/runtime/backend.ts";
const size = Number(process.argv[2] ?? 32), ngf = process.argv[3] ?? "4", steps = Number(process.argv[4] ?? 3);
const o = parseTrainOptions(["--dataroot", "-", "--netG", "resnet_6blocks", "--ngf", ngf, "--pool_size", "2", "--seed", "3"]).options;
const rt = await initBackend("wasm");
const single = new CycleGAN(o, rt.ops);
let t = performance.now();
for (let k = 0; k < steps; k++) { single.setInput(...syntheticBatch(size, k)); single.optimizeParameters(); await single.losses(); }
const t1 = (performance.now() - t) / steps;
const main = new CycleGAN(o, rt.ops);
const pair = await WorkerPair.start(main, o, "wasm", rt.kernels);
t = performance.now();
for (let k = 0; k < steps; k++) { const [a, b] = syntheticBatch(size, k); main.setInput(a, b); await pair.optimize(a, b); }
await pair.sync(true);
const t2 = (performance.now() - t) / steps;
let worst = 0, where = "";
for (const net of ["G_A", "G_B", "D_A", "D_B"] as const) for (const [n, v] of single.nets[net]) {
  const a = v.dataSync(), b = main.nets[net].get(n)!.dataSync();
  for (let i = 0; i < a.length; i++) { const d = Math.abs(a[i]! - b[i]!); if (d > worst) { worst = d; where = `${net}.${n}`; } }
}
console.log({ t1, t2, speedup: t1 / t2, worst, where });
console.log(await single.losses(), await main.losses());
await pair.close();
process.exit(0);
