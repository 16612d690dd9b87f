/**
 * conv2d and PyTorch-style conv2dTranspose with hand-written gradients
 * (training/runtime/conv-grads.ts), for backends whose gradient kernels are
 * missing or slow. The forward conv stays the backend's own kernel.
 */
import * as tf from "@tensorflow/tfjs-core";
import { type ConvGeometry, convFilterGrad, convInputGrad, padOrCrop } from "./conv-grads.ts";
import { withGradient } from "./custom-grad.ts";

function geometry(stride: number, padding: number): ConvGeometry {
  return { strides: [stride, stride], padTop: padding, padLeft: padding };
}

/** Forward conv with symmetric zero padding, as one padded tensor + a "valid" conv. */
function convForward(x: tf.Tensor4D, w: tf.Tensor4D, stride: number, padding: number) {
  return tf.conv2d(
    padding === 0 ? x : padOrCrop(x, [padding, padding], [padding, padding]),
    w,
    stride,
    "valid",
  );
}

export function conv2d(
  x: tf.Tensor4D,
  w: tf.Tensor4D,
  stride: number,
  padding: number,
): tf.Tensor4D {
  const g = geometry(stride, padding);
  return withGradient<tf.Tensor4D>([x, w], ([xi, wi], save) => {
    const x4 = xi as tf.Tensor4D;
    const w4 = wi as tf.Tensor4D;
    save([x4, w4]);
    return {
      value: tf.tidy(() => convForward(x4, w4, stride, padding)),
      gradFunc: (d, saved) => {
        const [sx, sw] = saved as [tf.Tensor4D, tf.Tensor4D];
        return [
          convInputGrad(d, sw, sx.shape, g),
          convFilterGrad(sx, d, [sw.shape[0], sw.shape[1]], g),
        ];
      },
    };
  });
}

/** PyTorch ConvTranspose2d semantics; w is [kh, kw, out, in]. */
export function conv2dTranspose(
  x: tf.Tensor4D,
  w: tf.Tensor4D,
  stride: number,
  padding: number,
  outputPadding: number,
): tf.Tensor4D {
  const g = geometry(stride, padding);
  const [n, h, wd] = x.shape;
  const [kh, kw, outC] = w.shape;
  const outShape: [number, number, number, number] = [
    n,
    (h - 1) * stride - 2 * padding + kh + outputPadding,
    (wd - 1) * stride - 2 * padding + kw + outputPadding,
    outC,
  ];
  return withGradient<tf.Tensor4D>([x, w], ([xi, wi], save) => {
    const x4 = xi as tf.Tensor4D;
    const w4 = wi as tf.Tensor4D;
    save([x4, w4]);
    return {
      // A transposed conv is the input gradient of the conv it transposes.
      value: convInputGrad(x4, w4, outShape, g),
      gradFunc: (d, saved) => {
        const [sx, sw] = saved as [tf.Tensor4D, tf.Tensor4D];
        return [
          tf.tidy(() => {
            // Rows the transposed conv's padding and output padding added are cropped away.
            const crop = padOrCrop(
              d,
              [padding, (sx.shape[1] - 1) * stride + kh - padding - d.shape[1]],
              [padding, (sx.shape[2] - 1) * stride + kw - padding - d.shape[2]],
            );
            return tf.conv2d(crop, sw, stride, "valid");
          }),
          convFilterGrad(d, sx, [kh, kw], g),
        ];
      },
    };
  });
}
