/// The declared type of a pipeline config key.
public enum ConfigKind: Sendable, Equatable {
    case int, double, bool, string
    /// A string that may also be `null`.
    case optionalString
    /// A list of numbers of the given length (nil: any length).
    case doubles(count: Int?)
    case strings
    /// How often something happens during training: a step count (an
    /// integer) or a number of epochs written "0.5 epochs"; 0 is never.
    case period

    var noun: String {
        switch self {
        case .int: return "an integer"
        case .double: return "a finite number"
        case .bool: return "true or false"
        case .string: return "a string"
        case .optionalString: return "a string or null"
        case .doubles(let n?): return "a list of \(n) numbers"
        case .doubles(nil): return "a list of numbers"
        case .strings: return "a list of strings"
        case .period: return "a step count or a number of epochs such as \"0.5 epochs\""
        }
    }
}

/// One key of the pipeline config: its dotted path, type, default (nil when
/// the key is required) and a check that returns the reason a value is
/// impossible.
public struct ConfigKey: Sendable {
    public let path: String
    public let kind: ConfigKind
    public let defaultValue: JSON?
    public let help: String
    let check: @Sendable (JSON) -> String?

    public init(_ path: String, _ kind: ConfigKind, default defaultValue: JSON?, _ help: String,
                check: @escaping @Sendable (JSON) -> String? = { _ in nil }) {
        self.path = path
        self.kind = kind
        self.defaultValue = defaultValue
        self.help = help
        self.check = check
    }

    public var section: String { String(path.split(separator: ".").first ?? "") }
}

// Reusable value checks.
public enum Check {
    public static func intRange(_ lo: Int, _ hi: Int = Int.max) -> @Sendable (JSON) -> String? {
        { v in
            guard let x = v.intValue, x >= lo, x <= hi else {
                return hi == Int.max ? "must be at least \(lo)" : "must be between \(lo) and \(hi)"
            }
            return nil
        }
    }

    public static func doubleRange(_ lo: Double, _ hi: Double, openLow: Bool = false) -> @Sendable (JSON) -> String? {
        { v in
            guard let x = v.doubleValue, openLow ? x > lo : x >= lo, x <= hi else {
                return "must be in \(openLow ? "(" : "[")\(lo), \(hi)]"
            }
            return nil
        }
    }

    public static func nonNegative() -> @Sendable (JSON) -> String? {
        { v in (v.doubleValue ?? -1) >= 0 ? nil : "must not be negative" }
    }

    /// An ordered [lo, hi] pair inside [min, max].
    public static func interval(_ min: Double, _ max: Double, openLow: Bool = false) -> @Sendable (JSON) -> String? {
        { v in
            guard let a = v.arrayValue?.compactMap(\.doubleValue), a.count == 2 else { return "must be [low, high]" }
            if a[0] > a[1] { return "low (\(a[0])) must not exceed high (\(a[1]))" }
            for x in a where (openLow ? x <= min : x < min) || x > max {
                return "values must be in \(openLow ? "(" : "[")\(min), \(max)]"
            }
            return nil
        }
    }

    /// A non-empty list of distinct numbers, each inside (min, max] or [min, max].
    public static func eachIn(_ min: Double, _ max: Double, openLow: Bool = false) -> @Sendable (JSON) -> String? {
        { v in
            guard let a = v.arrayValue?.compactMap(\.doubleValue), !a.isEmpty else { return "must be a non-empty list" }
            for x in a where (openLow ? x <= min : x < min) || x > max {
                return "\(x) is outside \(openLow ? "(" : "[")\(min), \(max)]"
            }
            if Set(a).count != a.count { return "values must be distinct" }
            return nil
        }
    }

    public static func oneOf(_ choices: [String]) -> @Sendable (JSON) -> String? {
        { v in
            guard let s = v.stringValue, choices.contains(s) else {
                return "must be one of: \(choices.joined(separator: ", "))"
            }
            return nil
        }
    }

    public static func nonEmptyString() -> @Sendable (JSON) -> String? {
        { v in (v.stringValue ?? "").isEmpty ? "must not be empty" : nil }
    }
}
