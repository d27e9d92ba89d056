// Key declarations per section. Defaults follow the official I-JEPA configs
// where they exist, scaled to small images.

extension PipelineSchema {
    static let dataKeys: [ConfigKey] = [
        ConfigKey("data.root_path", .string, default: nil,
                  "folder that holds the data set folder (relative paths are resolved from the working directory)",
                  check: Check.nonEmptyString()),
        ConfigKey("data.image_folder", .string, default: nil,
                  "data set folder under root_path: class sub-folders (optionally train/ and val/) or MNIST-family IDX files",
                  check: Check.nonEmptyString()),
        ConfigKey("data.crop_size", .int, default: .int(224),
                  "side of the square image after resize and centre crop", check: Check.intRange(1, 4096)),
        ConfigKey("data.batch_size", .int, default: .int(128), "images per training step",
                  check: Check.intRange(1)),
        ConfigKey("data.crop_scale", .doubles(count: 2), default: .array([.double(0.3), .double(1.0)]),
                  "area range of the random resized crop during pretraining",
                  check: Check.interval(0, 1, openLow: true)),
        ConfigKey("data.use_horizontal_flip", .bool, default: .bool(false), "random horizontal flips during pretraining"),
    ]

    static let maskKeys: [ConfigKey] = [
        ConfigKey("mask.patch_size", .int, default: .int(16), "side of a square patch in pixels",
                  check: Check.intRange(1, 1024)),
        ConfigKey("mask.aspect_ratio", .doubles(count: 2), default: .array([.double(0.75), .double(1.5)]),
                  "aspect-ratio range of target blocks", check: Check.interval(0, 100, openLow: true)),
        ConfigKey("mask.enc_mask_scale", .doubles(count: 2), default: .array([.double(0.85), .double(1.0)]),
                  "area range of the context block", check: Check.interval(0, 1, openLow: true)),
        ConfigKey("mask.pred_mask_scale", .doubles(count: 2), default: .array([.double(0.15), .double(0.2)]),
                  "area range of each target block", check: Check.interval(0, 1, openLow: true)),
        ConfigKey("mask.num_enc_masks", .int, default: .int(1), "context blocks per image", check: Check.intRange(1, 64)),
        ConfigKey("mask.num_pred_masks", .int, default: .int(4), "target blocks per image", check: Check.intRange(1, 64)),
        ConfigKey("mask.min_keep", .int, default: .int(10), "fewest context patches a mask may keep",
                  check: Check.intRange(1)),
        ConfigKey("mask.allow_overlap", .bool, default: .bool(false), "let context and target blocks overlap"),
    ]

    static let metaKeys: [ConfigKey] = [
        ConfigKey("meta.model_name", .string, default: .string("vit_tiny"), "encoder preset",
                  check: Check.oneOf(["vit_tiny", "vit_small", "vit_base", "vit_large", "vit_huge", "vit_giant"])),
        ConfigKey("meta.embed_dim", .int, default: .int(0), "encoder width (0: the preset's)", check: Check.intRange(0, 8192)),
        ConfigKey("meta.depth", .int, default: .int(0), "encoder blocks (0: the preset's)", check: Check.intRange(0, 128)),
        ConfigKey("meta.num_heads", .int, default: .int(0), "attention heads (0: the preset's)", check: Check.intRange(0, 256)),
        ConfigKey("meta.mlp_ratio", .double, default: .double(0), "encoder MLP width / embed_dim (0: the preset's)",
                  check: Check.doubleRange(0, 64)),
        ConfigKey("meta.pred_depth", .int, default: .int(6), "predictor blocks", check: Check.intRange(1, 64)),
        ConfigKey("meta.pred_emb_dim", .int, default: .int(384), "predictor width", check: Check.intRange(1, 8192)),
        ConfigKey("meta.load_checkpoint", .bool, default: .bool(false), "resume from the latest checkpoint"),
        ConfigKey("meta.read_checkpoint", .optionalString, default: .null, "checkpoint file to start from (its weights, optimizer state and step; part of the artifact key)"),
        ConfigKey("meta.use_bfloat16", .bool, default: .bool(false), "bfloat16 arithmetic (not supported yet: must be false)",
                  check: { $0 == .bool(false) ? nil : "bfloat16 training is not implemented yet" }),
        ConfigKey("meta.seed", .int, default: .int(0), "seed of initialisation, masks and data order",
                  check: Check.intRange(0)),
    ]

    static let optimizationKeys: [ConfigKey] = [
        ConfigKey("optimization.ema", .doubles(count: 2), default: .array([.double(0.996), .double(1.0)]),
                  "EMA momentum, linear from first to second value", check: Check.interval(0, 1)),
        ConfigKey("optimization.epochs", .int, default: .int(10), "training epochs", check: Check.intRange(1)),
        ConfigKey("optimization.ipe_scale", .double, default: .double(1.0), "schedule length scale",
                  check: Check.doubleRange(1, 100)),
        ConfigKey("optimization.start_lr", .double, default: .double(0.0002), "learning rate at the start of warm-up",
                  check: Check.nonNegative()),
        ConfigKey("optimization.lr", .double, default: .double(0.001), "peak learning rate", check: Check.nonNegative()),
        ConfigKey("optimization.final_lr", .double, default: .double(1.0e-6), "learning rate at the end",
                  check: Check.nonNegative()),
        ConfigKey("optimization.warmup", .double, default: .double(1), "warm-up epochs", check: Check.nonNegative()),
        ConfigKey("optimization.weight_decay", .double, default: .double(0.04), "initial weight decay",
                  check: Check.nonNegative()),
        ConfigKey("optimization.final_weight_decay", .double, default: .double(0.4), "final weight decay",
                  check: Check.nonNegative()),
        ConfigKey("optimization.loss", .string, default: .string("smooth_l1"), "prediction loss",
                  check: Check.oneOf(["smooth_l1", "l2"])),
    ]

    static let loggingKeys: [ConfigKey] = [
        ConfigKey("logging.write_tag", .string, default: .string("jepa"), "name used in log and checkpoint files",
                  check: Check.nonEmptyString()),
        ConfigKey("logging.checkpoint_every", .int, default: .int(200), "steps between checkpoints (and at the end)",
                  check: Check.intRange(1)),
        ConfigKey("logging.progress_interval", .double, default: .double(10),
                  "seconds between progress lines when not on a terminal", check: Check.doubleRange(0.1, 3600)),
    ]

    static let prepareKeys: [ConfigKey] = [
        ConfigKey("prepare.format", .string, default: .string("auto"),
                  "source kind: auto, idx (MNIST-family files) or folder (class sub-folders)",
                  check: Check.oneOf(["auto", "idx", "folder"])),
        ConfigKey("prepare.channels", .int, default: .int(3), "1 (gray) or 3 (RGB)",
                  check: { v in [1, 3].contains(v.intValue ?? 0) ? nil : "must be 1 or 3" }),
        ConfigKey("prepare.shard_size", .int, default: .int(10000), "most images per shard file",
                  check: Check.intRange(1)),
        ConfigKey("prepare.val_fraction", .double, default: .double(0.1),
                  "share of images put in val when the source has no split of its own",
                  check: Check.doubleRange(0, 1)),
        ConfigKey("prepare.split_seed", .int, default: .int(0), "seed of the path-hash split", check: Check.intRange(0)),
        ConfigKey("prepare.limit_train", .int, default: .int(0), "keep an evenly spaced subset of N train images (0: all)",
                  check: Check.intRange(0)),
        ConfigKey("prepare.limit_val", .int, default: .int(0), "keep an evenly spaced subset of N val images (0: all)",
                  check: Check.intRange(0)),
        ConfigKey("prepare.class_names", .strings, default: .array([]),
                  "class names by label index for sources without names (IDX); empty: the label numbers"),
        ConfigKey("prepare.gzip_level", .int, default: .int(1), "HDF5 deflate level of the patch data (0: none)",
                  check: Check.intRange(0, 9)),
        ConfigKey("prepare.on_error", .string, default: .string("skip"),
                  "an unreadable image: skip (reported and counted) or fail", check: Check.oneOf(["skip", "fail"])),
    ]

    static let probeKeys: [ConfigKey] = [
        ConfigKey("probe.features", .string, default: .string("last"),
                  "encoder features, average-pooled over patches: last (final normalised block) or last4 (last four blocks, each normalised, concatenated)",
                  check: Check.oneOf(["last", "last4"])),
        ConfigKey("probe.eval_split", .string, default: .string("val"),
                  "where accuracy is measured: val (the prepared val/test split) or holdout (a stratified part of train, for choosing settings without touching val)",
                  check: Check.oneOf(["val", "holdout"])),
        ConfigKey("probe.label_fractions", .doubles(count: nil), default: .array([.double(0.01), .double(0.1), .double(1.0)]),
                  "fractions of the train labels the probes see (sampled per class, at least one image per class)",
                  check: Check.eachIn(0, 1, openLow: true)),
        ConfigKey("probe.l2_grid", .doubles(count: nil),
                  default: .array([.double(1e-5), .double(1e-4), .double(1e-3), .double(1e-2), .double(1e-1)]),
                  "L2 strengths tried for the linear probe (mean cross-entropy + l2/2·|W|²), chosen on a held-out part of train",
                  check: Check.eachIn(0, 1e6)),
        ConfigKey("probe.holdout_fraction", .double, default: .double(0.1),
                  "part of train held out, per class, to choose the L2 strength (and to evaluate on with eval_split: holdout)",
                  check: Check.doubleRange(0, 0.5, openLow: true)),
        ConfigKey("probe.max_iterations", .int, default: .int(1000), "L-BFGS iteration limit of each linear-probe fit",
                  check: Check.intRange(1)),
        ConfigKey("probe.tolerance", .double, default: .double(1e-4),
                  "a linear-probe fit has converged when max |gradient| <= tolerance·max(1, loss) (scikit-learn's default)",
                  check: Check.doubleRange(0, 1, openLow: true)),
        ConfigKey("probe.knn_k", .int, default: .int(20), "neighbours of the k-NN probe", check: Check.intRange(1)),
        ConfigKey("probe.knn_temperature", .double, default: .double(0.07), "temperature of the k-NN vote weights exp(cos/T)",
                  check: Check.doubleRange(0, 100, openLow: true)),
        ConfigKey("probe.batch_size", .int, default: .int(256), "images per feature-extraction batch",
                  check: Check.intRange(1, 65536)),
        ConfigKey("probe.seed", .int, default: .int(0), "seed of label sampling and the held-out splits",
                  check: Check.intRange(0)),
    ]

    static let reportKeys: [ConfigKey] = [
        ConfigKey("report.title", .string, default: .string("I-JEPA report"), "report heading"),
    ]
}
