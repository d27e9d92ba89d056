/// A typed group of config keys: a whole section (`MaskSettings`) or a part
/// of one that a stage depends on alone (`DataSource`). Its stored
/// properties hold the values, their initial values are the defaults, and
/// `fields` names each key once.
public protocol SettingsGroup: KeyEncodable {
    init()
    static var fields: [Field<Self>] { get }
    /// Rules between this group's own keys (each key's own rule is checked
    /// by `validate`).
    func crossCheck() throws(SettingError)
}

extension SettingsGroup {
    public func crossCheck() throws(SettingError) {}

    /// Every rule of this group: each key's, then those between its keys.
    public func validate() throws(SettingError) {
        for f in Self.fields { if let e = f.violation(in: self) { throw e } }
        try crossCheck()
    }

    public var keyEntries: [(path: String, value: JSON)] { fieldKeyEntries }

    /// Each field's (key, value), but a later key at its default.
    public var fieldKeyEntries: [(path: String, value: JSON)] {
        Self.fields.compactMap { f in
            let v = f.get(self)
            return f.keyedAtDefault || v != f.defaultValue ? (f.path, v) : nil
        }
    }

    /// Every value by key, defaults included.
    public var allEntries: [(path: String, value: JSON)] { Self.fields.map { ($0.path, $0.get(self)) } }

    /// One key of this group, as a stage's settings hold it alone.
    public func keyed<V: SettingValue>(_ keyPath: KeyPath<Self, V>) -> Keyed<V> {
        guard let f = Self.fields.first(where: { $0.keyPath == keyPath }) else {
            preconditionFailure("\(Self.self) has no config key at \(keyPath)")
        }
        return Keyed(path: f.path, value: self[keyPath: keyPath])
    }

    /// One key that joins a stage's key only when set away from its default,
    /// so that stage's earlier artifacts keep their keys.
    public func keyedWhenSet<V: SettingValue>(_ keyPath: KeyPath<Self, V>) -> Keyed<V> {
        let k = keyed(keyPath)
        return Keyed(path: k.path, value: k.value, omitted: k.value.setting == Self()[keyPath: keyPath].setting)
    }
}

/// A group's or a stage's part of an artifact key: (config key, value) pairs.
public protocol KeyEncodable: Sendable {
    var keyEntries: [(path: String, value: JSON)] { get }
}

/// One config key's value, taken out of its group, that keeps its name.
public struct Keyed<V: SettingValue>: KeyEncodable {
    public let path: String
    public let value: V
    /// Left out of the key (`keyedWhenSet` at the default).
    var omitted = false
    public var keyEntries: [(path: String, value: JSON)] { omitted ? [] : [(path, value.setting)] }
}

/// The typed settings a stage reads. Every stored property is a settings
/// group, a `Keyed` value or another stage's settings, and the stage's
/// artifact key encodes all of them, so a value a stage can read is a value
/// its key covers: what a stage depends on is its settings type. Values that
/// change no result (progress, extraction batch size) stay outside, in the
/// stage's options.
public protocol StageInputs: KeyEncodable {}

extension StageInputs {
    public var keyEntries: [(path: String, value: JSON)] {
        Mirror(reflecting: self).children.flatMap { child -> [(path: String, value: JSON)] in
            guard let part = child.value as? KeyEncodable else {
                preconditionFailure("\(Self.self).\(child.label ?? "?") is not a settings group: it would escape the artifact key")
            }
            return part.keyEntries
        }
    }
}

extension KeyEncodable {
    /// The canonical config part of an artifact key: `{"mask.patch_size": 4, ...}`.
    public var keyJSON: JSON {
        var o: [String: JSON] = [:]
        for (path, value) in keyEntries {
            precondition(o[path] == nil || o[path] == value, "\(Self.self): \(path) twice")
            o[path] = value
        }
        return .object(o)
    }
}
