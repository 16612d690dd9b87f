/**
 * Learning-rate schedules, as a factor on --lr for a whole epoch. `epoch` is
 * the absolute epoch number (the first one is --epoch_count).
 */
export interface ScheduleOptions {
  lr_policy: "linear" | "step" | "cosine";
  epoch_count: number;
  n_epochs: number;
  n_epochs_decay: number;
  lr_decay_iters: number;
}

export function lrFactor(epoch: number, o: ScheduleOptions): number {
  const done = epoch - o.epoch_count; // epochs completed before this one in this schedule
  switch (o.lr_policy) {
    case "linear":
      // constant through epoch n_epochs, then (n_epochs_decay + 1 - k) / (n_epochs_decay + 1) in
      // decay epoch k: the paper's "linearly decay to zero over the next 100 epochs" (the
      // reference's LambdaLR, stepped after each epoch).
      return 1 - Math.max(0, epoch - o.n_epochs) / (o.n_epochs_decay + 1);
    case "step":
      // x0.1 every lr_decay_iters epochs (StepLR)
      return 0.1 ** Math.floor(done / o.lr_decay_iters);
    case "cosine":
      // half a cosine from 1 to 0 over n_epochs (CosineAnnealingLR, eta_min 0)
      return (1 + Math.cos((Math.PI * done) / o.n_epochs)) / 2;
  }
}
