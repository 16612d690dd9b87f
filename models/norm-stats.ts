/**
 * Instance-norm statistics at the edge of a generator graph: how full
 * resolution stays one picture. A tile normalised with its own statistics
 * gets its own colours; a tile normalised with the whole image's statistics
 * agrees with its neighbours. So every exported generator (since this
 * contract) reports the mean and variance of each instance norm, and can run
 * with given ones in their place:
 *
 * - input `norm_stats` float32 [1, S]: statistics to use when frozen;
 * - input `norm_freeze` float32 [1]: 0 = the input's own statistics (what the
 *   generator always did), 1 = those in `norm_stats`;
 * - output `norm_stats_out` float32 [N, S]: the statistics the input produced.
 *
 * Layout: for each instance norm in graph order, C means then C (population)
 * variances. S = 2 x the channels of all norms. Graph inputs cannot have
 * defaults here (onnxruntime's JavaScript APIs neither list nor accept
 * overridable initializers), so callers always feed both; `statsFeeds` does.
 * A file without these inputs (written before) runs as it always did.
 *
 * Pure: shared by the site's worker, `npm run infer`, the exporter's checks.
 */

export const NORM_STATS_INPUT = "norm_stats";
export const NORM_FREEZE_INPUT = "norm_freeze";
export const NORM_STATS_OUTPUT = "norm_stats_out";
/** The names as the manifest's `io.normStats` lists them (models/schema.ts). */
export const NORM_STATS_IO = {
  input: NORM_STATS_INPUT,
  freeze: NORM_FREEZE_INPUT,
  output: NORM_STATS_OUTPUT,
} as const;

/** What an onnxruntime session (node or web) tells about one input. */
export interface InputInfo {
  name: string;
  isTensor: boolean;
  shape?: readonly (number | string)[];
}

/**
 * Length S of the statistics a graph takes, or 0 when it has none (a file
 * from before this contract, or a network without instance norms). Throws when
 * the graph has the inputs in a shape no exporter of ours writes.
 */
export function statsLength(inputs: readonly InputInfo[]): number {
  const stats = inputs.find((i) => i.name === NORM_STATS_INPUT);
  const freeze = inputs.find((i) => i.name === NORM_FREEZE_INPUT);
  if (!stats && !freeze) return 0;
  const s = stats?.shape;
  const length = s?.length === 2 && s[0] === 1 ? s[1] : undefined;
  if (!stats || !freeze || typeof length !== "number" || length <= 0 || length % 2 !== 0) {
    throw new Error(
      `the model has normalisation-statistics inputs of an unknown shape (${NORM_STATS_INPUT} [${s ?? "?"}], ${NORM_FREEZE_INPUT} ${freeze ? "present" : "missing"}); expected [1, S] with S even, and [1]`,
    );
  }
  return length;
}

/**
 * The extra inputs of one run: `frozen` statistics (length S) or, without
 * them, zeros and freeze 0 (the input's own statistics). `tensor` builds the
 * engine's tensor type (onnxruntime-node and -web have separate classes).
 */
export function statsFeeds<T>(
  length: number,
  frozen: Float32Array | undefined,
  tensor: (data: Float32Array, dims: number[]) => T,
): Record<string, T> {
  if (length === 0) {
    if (frozen) throw new Error("this model has no normalisation statistics to freeze");
    return {};
  }
  if (frozen && frozen.length !== length) {
    throw new RangeError(`statistics hold ${frozen.length} values, the model takes ${length}`);
  }
  return {
    [NORM_STATS_INPUT]: tensor(frozen ?? new Float32Array(length), [1, length]),
    [NORM_FREEZE_INPUT]: tensor(new Float32Array([frozen ? 1 : 0]), [1]),
  };
}
