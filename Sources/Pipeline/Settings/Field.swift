/// One config key of a settings group: its dotted name (the only place the
/// name is written), where its value lives in the typed group, what it
/// means and the rule a value must follow. The default is the group's own
/// initial value, so it too is written once.
// @unchecked: the key paths and the closures over them are immutable.
public struct Field<Group: SettingsGroup>: @unchecked Sendable {
    /// "mask.pred_mask_scale".
    public let path: String
    public let kind: ConfigKind
    public let help: String
    /// A required key has no default; a file must set it.
    public let required: Bool
    /// Why a value is impossible, or nil.
    let rule: @Sendable (JSON) -> String?
    let get: (Group) -> JSON
    let set: (inout Group, JSON) -> Void
    /// The value's place in `Group`, to find a field by what it holds.
    let keyPath: AnyKeyPath

    public init<V: SettingValue>(_ path: String, _ keyPath: WritableKeyPath<Group, V>, _ help: String,
                                 required: Bool = false, rule: @escaping @Sendable (JSON) -> String? = { _ in nil }) {
        self.path = path
        kind = V.kind
        self.help = help
        self.required = required
        self.rule = rule
        get = { $0[keyPath: keyPath].setting }
        set = { $0[keyPath: keyPath] = V(setting: $1) }
        self.keyPath = keyPath
    }

    /// A key that holds one of an enum's names; the rule is that set.
    public init<V: SettingChoice>(_ path: String, _ keyPath: WritableKeyPath<Group, V>, _ help: String) {
        self.init(path, keyPath, help, rule: Check.oneOf(V.choices))
    }

    private init(path: String, kind: ConfigKind, help: String, required: Bool, rule: @escaping @Sendable (JSON) -> String?,
                 get: @escaping (Group) -> JSON, set: @escaping (inout Group, JSON) -> Void, keyPath: AnyKeyPath) {
        self.path = path
        self.kind = kind
        self.help = help
        self.required = required
        self.rule = rule
        self.get = get
        self.set = set
        self.keyPath = keyPath
    }

    /// This field seen from a group that holds `Group` at `outer`.
    public func lifted<Outer: SettingsGroup>(_ outer: WritableKeyPath<Outer, Group>) -> Field<Outer> {
        let get = self.get, set = self.set
        let path = (outer as AnyKeyPath).appending(path: keyPath)!
        return Field<Outer>(path: self.path, kind: kind, help: help, required: required, rule: rule,
                            get: { get($0[keyPath: outer]) }, set: { set(&$0[keyPath: outer], $1) }, keyPath: path)
    }

    /// The reason `value` breaks this key's rule, naming the key.
    func violation(in group: Group) -> SettingError? {
        let v = get(group)
        return rule(v).map { SettingError(path, "\($0) (got \(v.canonical))") }
    }

    public var section: String { String(path.split(separator: ".").first ?? "") }
    /// The key's name inside its section ("pred_mask_scale").
    public var name: String { String(path.dropFirst(section.count + 1)) }
}

/// A value that breaks a rule, with the key it belongs to; the loader adds
/// where the key was set.
public struct SettingError: Error, Sendable, CustomStringConvertible {
    public let path: String
    public let reason: String
    public init(_ path: String, _ reason: String) {
        self.path = path
        self.reason = reason
    }
    public var description: String { "\(path): \(reason)" }
}
