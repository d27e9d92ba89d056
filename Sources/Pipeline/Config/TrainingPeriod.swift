import Foundation

/// How often an event recurs during training (`logging.eval_every`): every
/// N steps, every X epochs, or never. Written in a config as an integer
/// (steps) or as "X epochs" / "N steps"; stored in its canonical form, so
/// `"200 steps"` and `200` hash the same.
public enum TrainingPeriod: Sendable, Equatable {
    case never
    case steps(Int)
    case epochs(Double)

    /// Nil when `v` is not a period (a negative or fractional step count,
    /// an unknown unit, a non-positive or non-finite epoch count).
    public init?(_ v: JSON) {
        if case .int(let n) = v {
            guard n >= 0 else { return nil }
            self = n == 0 ? .never : .steps(n)
            return
        }
        guard let text = v.stringValue else { return nil }
        let parts = text.lowercased().split(separator: " ", omittingEmptySubsequences: true)
        guard parts.count == 2, let x = Double(parts[0]), x.isFinite, x >= 0 else { return nil }
        switch parts[1] {
        case "step", "steps":
            guard x == x.rounded(), x < Double(Int.max) else { return nil }
            self = x == 0 ? .never : .steps(Int(x))
        case "epoch", "epochs":
            self = x == 0 ? .never : .epochs(x)
        default:
            return nil
        }
    }

    public var json: JSON {
        switch self {
        case .never: return .int(0)
        case .steps(let n): return .int(n)
        case .epochs(let x): return .string("\(String(format: "%g", x)) epochs")
        }
    }

    /// Steps between events for an epoch of `itersPerEpoch` steps (at least
    /// 1), or nil for never.
    public func steps(itersPerEpoch ipe: Int) -> Int? {
        switch self {
        case .never: return nil
        case .steps(let n): return n
        case .epochs(let x): return max(1, Int((x * Double(ipe)).rounded()))
        }
    }
}
