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
