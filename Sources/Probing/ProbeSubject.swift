import Pipeline

/// What a probe measures the features of.
public enum ProbeSubject: String, CaseIterable, Sendable {
    case ijepa, randomInit = "random_init", pixels

    public init(_ baseline: BaselineSettings.Baseline) {
        switch baseline {
        case .initialWeights: self = .randomInit
        case .pixels: self = .pixels
        }
    }

    public var title: String {
        switch self {
        case .ijepa: return "I-JEPA target encoder"
        case .randomInit: return "same encoder, initial weights"
        case .pixels: return "raw pixels"
        }
    }

    /// Its name in probe.baselines; nil for the I-JEPA encoder, always probed.
    var baseline: BaselineSettings.Baseline? {
        switch self {
        case .ijepa: return nil
        case .randomInit: return .initialWeights
        case .pixels: return .pixels
        }
    }

    /// The subjects a probe artifact reports: I-JEPA and the chosen baselines.
    static func chosen(_ settings: ProbeInputs) -> [ProbeSubject] {
        allCases.filter { $0.baseline.map(settings.baselines.chosen.contains) ?? true }
    }
}

/// A frozen encoder whose features are extracted (and cached per split):
/// the pretrained target encoder or the same encoder at its initial
/// weights. Raw pixels are not one.
enum ProbedEncoder: CaseIterable {
    case pretrained, initialWeights

    var subject: ProbeSubject {
        switch self {
        case .pretrained: return .ijepa
        case .initialWeights: return .randomInit
        }
    }
}

extension ProbeStage {
    public typealias Subject = ProbeSubject
}
