/**
 * The worker of two-worker training (pair.ts): side B of every step
 * on its own TensorFlow.js backend and copy of the model.
 */
import { parentPort } from "node:worker_threads";
import type * as tf from "@tensorflow/tfjs-core";
import { convThreadsPerSide, initBackend } from "../../runtime/backend.ts";
import { Mailbox } from "./mailbox.ts";
import {
  addGrads,
  assignVariables,
  type FromWorker,
  modelVariables,
  pack,
  packGrads,
  packVariables,
  type ToWorker,
  unpack,
} from "./messages.ts";
import { SIDES, SplitCycleGAN } from "./split-model.ts";

const port = parentPort;
if (!port) throw new Error("side-worker.ts runs as a worker thread");
const send = (m: FromWorker) => port.postMessage(m);

const mail = new Mailbox<ToWorker>();
port.on("message", (m: ToWorker) => mail.put(m));

let model: SplitCycleGAN | null = null;

async function handle(m: ToWorker): Promise<void> {
  if (m.type === "init") {
    const runtime = await initBackend(m.backend, {
      kernels: m.kernels,
      convThreads: convThreadsPerSide(),
    });
    model = new SplitCycleGAN(m.options, runtime.ops);
    assignVariables(modelVariables(model), m.state.variables);
    model.poolA.restore(m.state.pools.A.map((p) => unpack(p) as tf.Tensor4D));
    model.poolB.restore(m.state.pools.B.map((p) => unpack(p) as tf.Tensor4D));
    model.rng.restore(m.state.rng);
    model.optG.step = m.state.adamStepG;
    model.optD.step = m.state.adamStepD;
    return send({ type: "ready", backend: runtime.name });
  }
  if (!model) throw new Error(`"${m.type}" before "init"`);
  if (m.type === "step") {
    model.setLearningRate(m.lr);
    model.setInput(unpack(m.A) as tf.Tensor4D, unpack(m.B) as tf.Tensor4D);
    const own = model.sideGradients("B");
    send({ type: "grads", grads: packGrads(own) });
    const theirs = await mail.next();
    if (theirs.type !== "grads") throw new Error(`expected grads, got ${theirs.type}`);
    model.finishSide("B", addGrads(own, theirs.grads));
    return send({ type: "stepped" });
  }
  if (m.type === "sync") {
    const losses = await model.losses();
    const side = SIDES.B;
    if (!m.full) return send({ type: "synced", losses: side.losses.map((n) => losses[n]) });
    return send({
      type: "synced",
      losses: side.losses.map((n) => losses[n]),
      visuals: model.sideVisuals("B").map(pack),
      variables: packVariables(modelVariables(model, side.D)),
      pool: model[side.pool].images().map(pack),
    });
  }
  throw new Error(`unexpected message ${m.type}`);
}

for (;;) {
  const m = await mail.next();
  try {
    await handle(m);
  } catch (e) {
    send({ type: "error", message: (e as Error).stack ?? String(e) });
  }
}
