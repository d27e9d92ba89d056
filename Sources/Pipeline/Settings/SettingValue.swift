import Foundation

/// A value a config key can hold, with its config type and its canonical
/// JSON. `init(setting:)` receives a value the loader has already checked
/// against `kind` and the key's rule (`PipelineConfig.coerce`).
public protocol SettingValue: Sendable, Equatable {
    static var kind: ConfigKind { get }
    init(setting json: JSON)
    var setting: JSON { get }
}

/// A key whose value is one of a fixed set of names (an enum).
public protocol SettingChoice: SettingValue, RawRepresentable, CaseIterable where RawValue == String {}

extension SettingChoice {
    public static var kind: ConfigKind { .string }
    public init(setting json: JSON) { self = Self(rawValue: json.stringValue!)! }
    public var setting: JSON { .string(rawValue) }
    static var choices: [String] { allCases.map(\.rawValue) }
}

extension Int: SettingValue {
    public static var kind: ConfigKind { .int }
    public init(setting json: JSON) { self = json.intValue! }
    public var setting: JSON { .int(self) }
}

extension Double: SettingValue {
    public static var kind: ConfigKind { .double }
    public init(setting json: JSON) { self = json.doubleValue! }
    public var setting: JSON { .double(self) }
}

extension Bool: SettingValue {
    public static var kind: ConfigKind { .bool }
    public init(setting json: JSON) { self = json.boolValue! }
    public var setting: JSON { .bool(self) }
}

extension String: SettingValue {
    public static var kind: ConfigKind { .string }
    public init(setting json: JSON) { self = json.stringValue! }
    public var setting: JSON { .string(self) }
}

extension Optional: SettingValue where Wrapped == String {
    public static var kind: ConfigKind { .optionalString }
    public init(setting json: JSON) { self = json.stringValue }
    public var setting: JSON { map { .string($0) } ?? .null }
}

/// `[low, high]` in a config file.
extension ClosedRange: SettingValue where Bound == Double {
    public static var kind: ConfigKind { .doubles(count: 2) }
    public init(setting json: JSON) {
        let a = json.arrayValue!.map { $0.doubleValue! }
        self = a[0]...a[1]
    }
    public var setting: JSON { .array([.double(lowerBound), .double(upperBound)]) }
}

extension Array: SettingValue where Element: SettingListElement {
    public static var kind: ConfigKind { Element.listKind }
    public init(setting json: JSON) { self = json.arrayValue!.map { Element(setting: $0) } }
    public var setting: JSON { .array(map(\.setting)) }
}

/// What a list-valued key may hold: numbers or strings.
public protocol SettingListElement: SettingValue {
    static var listKind: ConfigKind { get }
}
extension Double: SettingListElement { public static var listKind: ConfigKind { .doubles(count: nil) } }
extension String: SettingListElement { public static var listKind: ConfigKind { .strings } }

extension TrainingPeriod: SettingValue {
    public static var kind: ConfigKind { .period }
    public init(setting json: JSON) { self = TrainingPeriod(json)! }
    public var setting: JSON { json }
}
