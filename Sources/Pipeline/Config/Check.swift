/// Reusable rules of config values: each returns why a value is impossible, or nil.
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

    /// A list of distinct names, each one of `allowed` (empty allowed).
    public static func eachOf(_ allowed: [String]) -> @Sendable (JSON) -> String? {
        { v in
            guard let a = v.arrayValue?.compactMap(\.stringValue), a.count == v.arrayValue?.count else {
                return "must be a list of names"
            }
            if let bad = a.first(where: { !allowed.contains($0) }) {
                return "'\(bad)' is not one of \(allowed.joined(separator: ", "))"
            }
            return Set(a).count == a.count ? nil : "lists a name twice"
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
