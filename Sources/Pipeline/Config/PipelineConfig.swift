import Foundation
import Yams

/// A validated pipeline file: every key resolved to a typed value (the
/// file's own, its `extends` base's, a `--set` override's, or the default).
/// Key names live here and in the settings' field tables; the stages read
/// `settings`.
public struct PipelineConfig: Sendable {
    /// The file it was read from (for messages).
    public let source: String
    public let settings: PipelineSettings
    /// Where each key that was set was set ("file.yaml:12", "--set key").
    let places: [String: String]

    /// Every value by dotted key (what a report shows and a checkpoint records).
    public let values: [String: JSON]

    /// A config of typed values (tests, tools); checked like a file.
    public init(settings: PipelineSettings, source: String = "<memory>") throws {
        do { try settings.validate() } catch { throw PipelineError("\(source): \(error)") }
        self.init(source: source, settings: settings, places: [:])
    }

    private init(source: String, settings: PipelineSettings, places: [String: String]) {
        self.source = source
        self.settings = settings
        self.places = places
        values = settings.values
    }

    /// Reads and validates a pipeline file. `overrides` are `key=value`
    /// strings (value in YAML syntax), applied after the file.
    public static func load(path: String, overrides: [String] = []) throws -> PipelineConfig {
        var raw: [String: (JSON, String)] = [:]  // dotted key -> (value, where it was set)
        try readFile(path, into: &raw, chain: [])
        for o in overrides {
            guard let eq = o.firstIndex(of: "=") else {
                throw PipelineError("--set \(o): expected key=value")
            }
            let key = String(o[..<eq]).trimmingCharacters(in: .whitespaces)
            let text = String(o[o.index(after: eq)...])
            let node: Node?
            do { node = try Yams.compose(yaml: text, YAMLCore.resolver) } catch {
                throw PipelineError("--set \(key): value is not valid YAML: \(text)")
            }
            raw[key] = (try node.map { try toJSON($0, where: "--set \(key)") } ?? .null, "--set \(key)")
        }
        return try resolve(raw, source: path)
    }

    /// Builds a config from in-memory values (tests, sweeps).
    public static func from(yaml text: String, source: String = "<memory>") throws -> PipelineConfig {
        var raw: [String: (JSON, String)] = [:]
        try parse(text: text, file: source, baseDir: FileManager.default.currentDirectoryPath,
                  into: &raw, chain: [])
        return try resolve(raw, source: source)
    }

    // MARK: reading

    private static func readFile(_ path: String, into raw: inout [String: (JSON, String)], chain: [String]) throws {
        let url = URL(fileURLWithPath: path).standardizedFileURL
        if chain.contains(url.path) {
            throw PipelineError("\(path): 'extends' forms a cycle: \((chain + [url.path]).joined(separator: " -> "))")
        }
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw PipelineError("\(path): cannot read pipeline file")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw PipelineError("\(path): not UTF-8 text")
        }
        try parse(text: text, file: path, baseDir: url.deletingLastPathComponent().path,
                  into: &raw, chain: chain + [url.path])
    }

    private static func parse(text: String, file: String, baseDir: String,
                              into raw: inout [String: (JSON, String)], chain: [String]) throws {
        let root: Node?
        do { root = try Yams.compose(yaml: text, YAMLCore.resolver) } catch {
            throw PipelineError("\(file): invalid YAML: \(oneLine(error))")
        }
        guard let root else { return }  // empty file
        guard let mapping = root.mapping else {
            throw PipelineError("\(file): top level must be a mapping of sections")
        }
        // `extends: other.yaml` first, so this file's values win.
        for (k, v) in mapping where k.string == "extends" {
            guard let base = v.string, !base.isEmpty else {
                throw PipelineError("\(file):\(line(v)): extends: must be a file path")
            }
            let basePath = base.hasPrefix("/") ? base : baseDir + "/" + base
            try readFile(basePath, into: &raw, chain: chain)
        }
        for (k, v) in mapping {
            guard let section = k.string else {
                throw PipelineError("\(file):\(line(k)): section names must be strings")
            }
            if section == "extends" { continue }
            guard PipelineSettings.sections.contains(section) else {
                throw PipelineError("\(file):\(line(k)): unknown section '\(section)' (known: \(PipelineSettings.sections.joined(separator: ", ")))")
            }
            if v.null != nil { continue }  // "probe:" with nothing under it
            guard let entries = v.mapping else {
                throw PipelineError("\(file):\(line(v)): section '\(section)' must be a mapping of keys")
            }
            for (kk, vv) in entries {
                guard let name = kk.string else {
                    throw PipelineError("\(file):\(line(kk)): keys must be strings")
                }
                let path = "\(section).\(name)"
                raw[path] = (try toJSON(vv, where: "\(file):\(line(vv)): \(path)"), "\(file):\(line(vv))")
            }
        }
    }

    private static func line(_ n: Node) -> Int { (n.mark?.line ?? 0) }

    /// Orders "file:line" places by file name, then line number; `--set`
    /// overrides (no line) after the files, by key.
    static func fileOrder(_ a: String, _ b: String) -> Bool {
        func split(_ s: String) -> (String, Int)? {
            guard let i = s.lastIndex(of: ":"), let n = Int(s[s.index(after: i)...]) else { return nil }
            return (String(s[..<i]), n)
        }
        switch (split(a), split(b)) {
        case let (x?, y?): return x.0 != y.0 ? x.0 < y.0 : x.1 < y.1
        case (.some, nil): return true
        case (nil, .some): return false
        case (nil, nil): return a < b
        }
    }

    private static func oneLine(_ e: Error) -> String {
        "\(e)".split(whereSeparator: \.isNewline).first.map(String.init) ?? "\(e)"
    }

    /// Plain YAML scalars/lists/mappings to JSON, with YAML 1.2 core typing (YAMLCore).
    static func toJSON(_ node: Node, where ctx: String) throws -> JSON {
        switch node {
        case .scalar(let s):
            // The resolver has tagged plain scalars; quoted ones stay strings.
            return YAMLCore.value(of: s.string, tag: Tag.Name(rawValue: node.tag.rawValue))
        case .sequence(let seq):
            return .array(try seq.map { try toJSON($0, where: ctx) })
        case .mapping(let m):
            var o: [String: JSON] = [:]
            for (k, v) in m {
                guard let ks = k.string else { throw PipelineError("\(ctx): mapping keys must be strings") }
                o[ks] = try toJSON(v, where: ctx)
            }
            return .object(o)
        case .alias:
            throw PipelineError("\(ctx): YAML aliases are not supported")
        }
    }

    // MARK: validation

    private static func resolve(_ raw: [String: (JSON, String)], source: String) throws -> PipelineConfig {
        var settings = PipelineSettings(), places: [String: String] = [:]
        // In file order, so the first bad key of a file is the one reported, every run.
        for (path, (value, whereSet)) in raw.sorted(by: { Self.fileOrder($0.value.1, $1.value.1) }) {
            guard let field = PipelineSettings.field(path) else {
                let section = String(path.split(separator: ".").first ?? "")
                let known = PipelineSettings.fields.filter { $0.section == section }.map(\.name)
                let hint = known.isEmpty ? "" : " (keys of '\(section)': \(known.joined(separator: ", ")))"
                let guess = KeySuggestion.closest(to: path, among: PipelineSettings.fields.map(\.path)).map { ": did you mean '\($0)'?" } ?? ""
                throw PipelineError("\(whereSet): unknown key '\(path)'\(guess)\(hint)")
            }
            field.set(&settings, try coerce(value, to: field, whereSet: whereSet))
            places[path] = whereSet
        }
        for field in PipelineSettings.fields where field.required && places[field.path] == nil {
            throw PipelineError("\(source): missing required key '\(field.path)' (\(field.help))")
        }
        do { try settings.crossCheck() } catch {
            throw PipelineError("\(places[error.path] ?? source): \(error)")
        }
        return PipelineConfig(source: source, settings: settings, places: places)
    }

    /// Checks a value's type, normalises numbers (an int where a number is
    /// expected becomes a double, so `lr: 1` and `lr: 1.0` hash the same),
    /// then runs the key's own check.
    static func coerce(_ v: JSON, to key: Field<PipelineSettings>, whereSet: String) throws -> JSON {
        func bad() -> PipelineError {
            PipelineError("\(whereSet): \(key.path): expected \(key.kind.noun), got \(v.canonical)")
        }
        let out: JSON
        switch key.kind {
        case .int:
            guard case .int = v else { throw bad() }
            out = v
        case .double:
            guard let d = v.doubleValue, d.isFinite else { throw bad() }
            out = .double(d)
        case .bool:
            guard case .bool = v else { throw bad() }
            out = v
        case .string:
            guard case .string = v else { throw bad() }
            out = v
        case .optionalString:
            guard v == .null || v.stringValue != nil else { throw bad() }
            out = v
        case .doubles(let n):
            guard let a = v.arrayValue else { throw bad() }
            let ds = a.compactMap(\.doubleValue)
            guard ds.count == a.count, n == nil || ds.count == n!, ds.allSatisfy(\.isFinite) else { throw bad() }
            out = .array(ds.map { .double($0) })
        case .strings:
            guard let a = v.arrayValue else { throw bad() }
            guard a.allSatisfy({ $0.stringValue != nil }) else { throw bad() }
            out = v
        case .period:
            guard let p = TrainingPeriod(v) else { throw bad() }
            out = p.json
        }
        if let reason = key.rule(out) {
            throw PipelineError("\(whereSet): \(key.path): \(reason) (got \(out.canonical))")
        }
        return out
    }
}

extension PipelineConfig {
    /// What a run says at its start about official keys of the file: those
    /// the CPU pipeline does not use, and those whose meaning here differs
    /// in a way that matters to this run.
    public var officialNotes: [String] {
        var notes: [String] = []
        let ignored = PipelineSettings.fields.filter { $0.official == .ignoredOnCPU && places[$0.path] != nil }.map(\.path)
        if !ignored.isEmpty {
            notes.append("\(ignored.joined(separator: ", ")): the official code's GPU data loading, not used on CPU")
        }
        if let folder = settings.logging.folder {
            let tag = settings.logging.writeTag
            notes.append("logging.folder \(folder): this run's checkpoint and log are artifacts/pretrain/<key>/checkpoint.h5 and log.csv, not the official code's \(folder)/\(tag)-latest.pth.tar and \(tag)_r0.csv")
        }
        return notes
    }
}
