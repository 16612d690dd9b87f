/**
 * The weights of a float32 ONNX generator that this project wrote, as a state
 * dict: the exporter names every initializer by its reference state-dict key
 * (`model.1.weight`, training/networks/spec.ts), so generatorFromStateDict
 * reads the architecture back exactly as it does from a .pth file. This is how
 * a file written before a graph-contract change is rebuilt with the current
 * writer (`npm run export -- upgrade`), without its training checkpoint.
 */
import { DataType, decodeModel, type TensorProto } from "../export/proto.ts";
import { opaque } from "./pickle.ts";
import type { StoredTensor } from "./tensors.ts";

const PARAMETER = /\.(weight|bias)$/;

function floats(t: TensorProto, label: string): Float32Array {
  const count = t.dims.reduce((a, b) => a * b, 1);
  if (t.raw_data.length !== 4 * count) {
    throw new Error(
      `${label}: ${t.name} holds ${t.raw_data.length} bytes, its shape [${t.dims}] needs ${4 * count}`,
    );
  }
  // Copied (a Buffer's slice is a view): raw_data may sit at an offset Float32Array cannot view.
  return new Float32Array(new Uint8Array(t.raw_data).buffer, 0, count);
}

export function readOnnxWeights(bytes: Uint8Array, label: string): Map<string, StoredTensor> {
  let initializers: TensorProto[];
  try {
    initializers = decodeModel(bytes).graph?.initializer ?? [];
  } catch (e) {
    throw new Error(`${label} is not an ONNX file (${e instanceof Error ? e.message : e})`);
  }
  const params = initializers.filter((t) => PARAMETER.test(t.name));
  const notFloat = params.filter((t) => t.data_type !== DataType.FLOAT).map((t) => t.name);
  if (params.length === 0 || notFloat.length > 0) {
    throw new Error(
      `${label} has no float32 weights to rebuild from (${notFloat.length ? `${notFloat.length} weights are stored as float16 or int8` : "no model.N.weight initializers"}); give the fp32 variant of a generator this project exported`,
    );
  }
  return new Map(
    params.map((t) => {
      const data = floats(t, label);
      const tensor: StoredTensor = {
        [opaque]: "tensor",
        dtype: "float32",
        shape: t.dims.map(Number),
        toFloat32: () => data,
      };
      return [t.name, tensor];
    }),
  );
}
