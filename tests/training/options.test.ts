import { describe, expect, it } from "vitest";
import { generatorFor } from "../../training/checkpoint/read.ts";
import {
  optionsToJson,
  parseTrainOptions,
  parseTranslateOptions,
  TRAIN_OPTIONS,
  trainOptionsFromJson,
} from "../../training/options.ts";

describe("trainer options", () => {
  it("default to the reference values", () => {
    const { options, explicit } = parseTrainOptions(["--dataroot", "d", "--seed", "1"]);
    expect(options).toMatchObject({
      name: "experiment_name",
      checkpoints_dir: "./checkpoints",
      netG: "resnet_9blocks",
      netD: "basic",
      ngf: 64,
      ndf: 64,
      n_layers_D: 3,
      init_gain: 0.02,
      batch_size: 1,
      load_size: 286,
      crop_size: 256,
      preprocess: "resize_and_crop",
      no_flip: false,
      serial_batches: false,
      max_dataset_size: Number.POSITIVE_INFINITY,
      n_epochs: 100,
      n_epochs_decay: 100,
      lr: 0.0002,
      beta1: 0.5,
      gan_mode: "lsgan",
      pool_size: 50,
      lambda_A: 10,
      lambda_B: 10,
      lambda_identity: 0.5,
      lr_policy: "linear",
      display_freq: 400,
      print_freq: 100,
      save_latest_freq: 5000,
      save_epoch_freq: 5,
      epoch_count: 1,
      backend: "auto",
    });
    expect(Object.isFrozen(options)).toBe(true);
    expect([...explicit].sort()).toEqual(["dataroot", "seed"]);
    for (const def of Object.values(TRAIN_OPTIONS)) expect(def.help.length).toBeGreaterThan(10);
  });

  it("picks and records a seed when none is given", () => {
    const a = parseTrainOptions(["--dataroot", "d"]).options.seed;
    expect(Number.isInteger(a) && a >= 0).toBe(true);
  });

  it("rejects bad values with the valid ones", () => {
    const quiet = ["--dataroot", "d"];
    expect(() => parseTrainOptions([...quiet, "--netG", "resnet_7blocks"])).toThrow(
      /resnet_9blocks/,
    );
    expect(() => parseTrainOptions([...quiet, "--ngf", "1.5"])).toThrow(/integer/);
    expect(() => parseTrainOptions([...quiet, "--lr", "-1"])).toThrow(/number >= 0/);
    expect(() => parseTrainOptions(["--ngf", "8"])).toThrow(/--dataroot is required/);
    // "inf" only where the default is infinite: an infinite pool or batch never ends
    expect(() => parseTrainOptions([...quiet, "--pool_size", "inf"])).toThrow(
      /integer >= 0, got "inf"/,
    );
    expect(() => parseTrainOptions([...quiet, "--batch_size", "inf"])).toThrow(/integer/);
    expect(
      parseTrainOptions([...quiet, "--max_dataset_size", "inf"]).options.max_dataset_size,
    ).toBe(Number.POSITIVE_INFINITY);
    expect(() => parseTrainOptions([...quiet, "--crop_size", "30", "--load_size", "36"])).toThrow(
      /--crop_size 30 is not a multiple of 4.*try 32/,
    );
    expect(() => parseTranslateOptions(["--input", "x", "--size", "4"])).toThrow(
      /--size 4 is too small.*at least 8/,
    );
    expect(parseTranslateOptions(["--input", "x", "--size", "8"]).options.size).toBe(8);
    // scaling to 128 and then cropping 256 cannot work for any image
    expect(() => parseTrainOptions([...quiet, "--load_size", "128"])).toThrow(
      /--load_size 128 is smaller than --crop_size 256/,
    );
    expect(
      parseTrainOptions([...quiet, "--load_size", "128", "--preprocess", "scale_width"]).options
        .load_size,
    ).toBe(128);
    expect(() => parseTranslateOptions(["--name", "x"])).toThrow(/--input is required/);
  });

  it("round-trip through the saved JSON, infinity included, and refuse unknown keys", () => {
    const { options } = parseTrainOptions([
      "--dataroot",
      "d",
      "--no_flip",
      "--max_dataset_size",
      "inf",
    ]);
    const back = trainOptionsFromJson(JSON.parse(optionsToJson(options)), "train_opt.json");
    expect(back).toEqual(options);
    expect(() => trainOptionsFromJson({ ...options, bogus: 1 }, "f.json")).toThrow(
      /unknown options bogus/,
    );
    expect(() => trainOptionsFromJson({ ...options, ngf: "x" }, "f.json")).toThrow(/option ngf/);
  });

  it("maps a translation direction to the generator that does it", () => {
    const ab = parseTrainOptions(["--dataroot", "d"]).options;
    const ba = parseTrainOptions(["--dataroot", "d", "--direction", "BtoA"]).options;
    expect(generatorFor("AtoB", ab)).toBe("G_A");
    expect(generatorFor("BtoA", ab)).toBe("G_B");
    expect(generatorFor("AtoB", ba)).toBe("G_B");
  });
});
