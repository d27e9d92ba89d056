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
    /// How the official I-JEPA code uses this key, if it has it.
    public let official: OfficialUse
    /// The default, as a config file would write it.
    public let defaultValue: JSON
    /// False for a key added after artifacts were made without it: at its
    /// default (the behaviour before it existed) it stays out of artifact
    /// keys, so those artifacts stay valid.
    let keyedAtDefault: Bool
    /// Why a value is impossible, or nil.
    let rule: @Sendable (JSON) -> String?
    let get: (Group) -> JSON
    let set: (inout Group, JSON) -> Void
    /// The value's place in `Group`, to find a field by what it holds.
    let keyPath: AnyKeyPath

    public init<V: SettingValue>(_ path: String, _ keyPath: WritableKeyPath<Group, V>, _ help: String,
                                 required: Bool = false, official: OfficialUse? = nil, keyedAtDefault: Bool = true,
                                 rule: @escaping @Sendable (JSON) -> String? = { _ in nil }) {
        self.path = path
        kind = V.kind
        self.help = help
        self.required = required
        self.official = official ?? OfficialUse.sectionDefault(path)
        defaultValue = Group()[keyPath: keyPath].setting
        self.keyedAtDefault = keyedAtDefault
        self.rule = rule
        get = { $0[keyPath: keyPath].setting }
        set = { $0[keyPath: keyPath] = V(setting: $1) }
        self.keyPath = keyPath
    }

    /// A key that holds one of an enum's names; the rule is that set.
    public init<V: SettingChoice>(_ path: String, _ keyPath: WritableKeyPath<Group, V>, _ help: String,
                                  official: OfficialUse? = nil) {
        self.init(path, keyPath, help, official: official, rule: Check.oneOf(V.choices))
    }

    private init<Inner>(_ inner: Field<Inner>, get: @escaping (Group) -> JSON, set: @escaping (inout Group, JSON) -> Void,
                        keyPath: AnyKeyPath) {
        path = inner.path
        kind = inner.kind
        help = inner.help
        required = inner.required
        official = inner.official
        defaultValue = inner.defaultValue
        keyedAtDefault = inner.keyedAtDefault
        rule = inner.rule
        self.get = get
        self.set = set
        self.keyPath = keyPath
    }

    /// This field seen from a group that holds `Group` at `outer`.
    public func lifted<Outer: SettingsGroup>(_ outer: WritableKeyPath<Outer, Group>) -> Field<Outer> {
        let get = self.get, set = self.set
        return Field<Outer>(self, get: { get($0[keyPath: outer]) }, set: { set(&$0[keyPath: outer], $1) },
                            keyPath: (outer as AnyKeyPath).appending(path: keyPath)!)
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

/// How the official I-JEPA code (facebookresearch/ijepa, its configs/*.yaml)
/// uses a key, so its config files load here unchanged and every difference
/// is written down.
public enum OfficialUse: Sendable, Equatable {
    /// An official key with the official meaning.
    case same
    /// An official key whose meaning here differs: how.
    case differs(String)
    /// An official key for GPU data loading: accepted, reported when set, not used.
    case ignoredOnCPU
    /// Not an official key.
    case ours

    /// Keys of the official sections are official unless said otherwise;
    /// `prepare`, `probe` and `report` are ours.
    static func sectionDefault(_ path: String) -> OfficialUse {
        ["data", "mask", "meta", "optimization", "logging"].contains(where: { path.hasPrefix($0 + ".") }) ? .same : .ours
    }

    /// The key table's column.
    public var tableText: String {
        switch self {
        case .same: return "same"
        case .differs(let how): return "differs: \(how)"
        case .ignoredOnCPU: return "ignored on CPU"
        case .ours: return "ours"
        }
    }
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
