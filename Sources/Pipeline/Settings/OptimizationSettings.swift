/// `optimization`: AdamW, its schedules, the EMA and the loss.
public struct OptimizationSettings: SettingsGroup {
    public var ema = 0.996...1.0
    public var epochs = 10
    public var ipeScale = 1.0
    public var startLR = 0.0002
    public var lr = 0.001
    public var finalLR = 1.0e-6
    public var warmup = 1.0
    public var weightDecay = 0.04
    public var finalWeightDecay = 0.4
    public var loss = LossKind.smoothL1
    public init() {}

    public static let fields: [Field<Self>] = [
        Field("optimization.ema", \.ema, "EMA momentum, linear from first to second value", rule: Check.interval(0, 1)),
        Field("optimization.epochs", \.epochs,
              "training epochs; 0: no step, the Pretrain artifact holds the initial weights (meta.init_from's, to probe them)",
              rule: Check.intRange(0)),
        Field("optimization.ipe_scale", \.ipeScale, "schedule length scale", rule: Check.doubleRange(1, 100)),
        Field("optimization.start_lr", \.startLR, "learning rate at the start of warm-up", rule: Check.nonNegative()),
        Field("optimization.lr", \.lr, "peak learning rate", rule: Check.nonNegative()),
        Field("optimization.final_lr", \.finalLR, "learning rate at the end", rule: Check.nonNegative()),
        Field("optimization.warmup", \.warmup, "warm-up epochs", rule: Check.nonNegative()),
        Field("optimization.weight_decay", \.weightDecay, "initial weight decay", rule: Check.nonNegative()),
        Field("optimization.final_weight_decay", \.finalWeightDecay, "final weight decay", rule: Check.nonNegative()),
        Field("optimization.loss", \.loss, "prediction loss (official: smooth_l1)", official: .ours),
    ]

}

/// `optimization.loss`: which prediction loss Pretrain minimises.
public enum LossKind: String, SettingChoice {
    /// Mean squared error, the paper's equation.
    case l2
    /// Huber with beta 1, what the official code uses.
    case smoothL1 = "smooth_l1"
}
