import Pipeline

/// One row of Pretrain's `log.csv`, one per training step: written by the
/// training run and read back, by the same type, by a resumed run (which keeps
/// the rows its checkpoint covers) and by Report.
public struct TrainingLogRow: Sendable, Equatable {
    public var epoch: Int
    public var step: Int
    public var loss: Double
    public var lr: Double
    public var weightDecay: Double
    /// EMA momentum of the target encoder.
    public var momentum: Double
    public var contextTokens: Int
    public var targetTokens: Int
    public var msPerStep: Double
    public var imagesPerSecond: Double
    /// Std across the batch of pooled target features (the collapse monitor).
    public var targetFeatureStd: Double
    public var gradNorm: Double

    public static let columns = ["epoch", "step", "loss", "lr", "weight_decay", "momentum", "context_tokens",
                                 "target_tokens", "ms_per_step", "images_per_s", "target_feature_std", "grad_norm"]
    public static var header: String { columns.joined(separator: ",") }

    public init(epoch: Int, step: Int, loss: Double, lr: Double, weightDecay: Double, momentum: Double,
                contextTokens: Int, targetTokens: Int, msPerStep: Double, imagesPerSecond: Double,
                targetFeatureStd: Double, gradNorm: Double) {
        self.epoch = epoch; self.step = step; self.loss = loss; self.lr = lr; self.weightDecay = weightDecay
        self.momentum = momentum; self.contextTokens = contextTokens; self.targetTokens = targetTokens
        self.msPerStep = msPerStep; self.imagesPerSecond = imagesPerSecond
        self.targetFeatureStd = targetFeatureStd; self.gradNorm = gradNorm
    }

    /// The CSV line (no newline). Doubles print so they read back exactly;
    /// the two timings are rounded (0.01 ms, 0.1 images/s).
    public var csv: String {
        [String(epoch), String(step), String(loss), String(lr), String(weightDecay), String(momentum),
         String(contextTokens), String(targetTokens), String(format: "%.2f", msPerStep),
         String(format: "%.1f", imagesPerSecond), String(targetFeatureStd), String(gradNorm)].joined(separator: ",")
    }

    /// A line written by `csv`; nil when it is not one (a torn last line).
    public init?(csv line: Substring) {
        let f = line.split(separator: ",", omittingEmptySubsequences: false)
        guard f.count == Self.columns.count,
              let epoch = Int(f[0]), let step = Int(f[1]), let loss = Double(f[2]), let lr = Double(f[3]),
              let wd = Double(f[4]), let momentum = Double(f[5]), let ctx = Int(f[6]), let tgt = Int(f[7]),
              let ms = Double(f[8]), let ips = Double(f[9]), let std = Double(f[10]), let gn = Double(f[11])
        else { return nil }
        self.init(epoch: epoch, step: step, loss: loss, lr: lr, weightDecay: wd, momentum: momentum,
                  contextTokens: ctx, targetTokens: tgt, msPerStep: ms, imagesPerSecond: ips,
                  targetFeatureStd: std, gradNorm: gn)
    }

    /// The rows of a log file's text; a header other than ours (a log of another
    /// version) or a damaged line is an error naming the file.
    public static func parse(_ text: String, path: String) throws -> [TrainingLogRow] {
        let lines = text.split(separator: "\n")
        guard let first = lines.first else { return [] }
        guard first == header else {
            throw PipelineError("\(path): not a training log of this version (header '\(first.prefix(80))')")
        }
        // Only the last line may be torn (a run killed mid-write); any other bad line is damage.
        let body = lines.dropFirst()
        return try body.enumerated().compactMap { i, line in
            if let row = TrainingLogRow(csv: line) { return row }
            if i == body.count - 1 { return nil }
            throw PipelineError("\(path): line \(i + 2) is not a training log row")
        }
    }

    public static func text(of rows: [TrainingLogRow]) -> String {
        ([header] + rows.map(\.csv)).joined(separator: "\n") + "\n"
    }
}
