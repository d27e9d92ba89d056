import Foundation
import Yams

/// A sweep: a base pipeline and the values to try for some of its keys.
///
///     pipeline: ../default.yaml          # relative to this file
///     set:                               # optional, every variant
///       optimization.epochs: 1
///     sweep:                             # the product of these lists
///       mask.pred_mask_scale: [[0.1, 0.15], [0.15, 0.2], [0.2, 0.3]]
///
/// Each variant is the base pipeline with `--set` overrides, so it is
/// validated like any pipeline and shares every artifact whose inputs it
/// does not change.
public struct SweepFile: Sendable {
    public let path: String
    public let name: String
    public let basePipeline: String
    /// Overrides of every variant, as `key=value`.
    public let fixed: [String]
    /// The swept keys in file order, and their values.
    public let axes: [(key: String, values: [JSON])]

    public var variantCount: Int { axes.reduce(1) { $0 * $1.values.count } }

    /// The swept values of variant `i` (the last axis varies fastest).
    public func assignment(_ i: Int) -> [(key: String, value: JSON)] {
        var rest = i
        var out: [(String, JSON)] = []
        for axis in axes.reversed() {
            out.append((axis.key, axis.values[rest % axis.values.count]))
            rest /= axis.values.count
        }
        return out.reversed()
    }

    public func overrides(_ i: Int) -> [String] {
        fixed + assignment(i).map { "\($0.key)=\($0.value.canonical)" }
    }

    /// "mask.pred_mask_scale=[0.1,0.15]": how a variant is named in logs and reports.
    public func label(_ i: Int) -> String {
        assignment(i).map { "\($0.key)=\($0.value.canonical)" }.joined(separator: " ")
    }

    public func config(variant i: Int, extra: [String] = []) throws -> PipelineConfig {
        guard i >= 0, i < variantCount else {
            throw PipelineError("\(path): variant \(i) does not exist (the sweep has \(variantCount): 0...\(variantCount - 1))")
        }
        for o in extra {
            let key = o.split(separator: "=", maxSplits: 1).first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
            if axes.contains(where: { $0.key == key }) {
                throw PipelineError("--set \(key): \(path) sweeps this key; an override would make every variant the same")
            }
        }
        do {
            return try PipelineConfig.load(path: basePipeline, overrides: overrides(i) + extra)
        } catch {
            throw PipelineError("\(path): variant \(i) (\(label(i))): \(error)")
        }
    }

    public static func load(path: String) throws -> SweepFile {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw PipelineError("\(path): cannot read sweep file")
        }
        let root: Node?
        do { root = try Yams.compose(yaml: text, YAMLCore.resolver) } catch {
            throw PipelineError("\(path): invalid YAML: \("\(error)".split(whereSeparator: \.isNewline).first ?? "")")
        }
        guard let mapping = root?.mapping else { throw PipelineError("\(path): a sweep file is a mapping with pipeline: and sweep:") }
        var base: String? = nil
        var fixed: [String] = []
        var axes: [(String, [JSON])] = []
        // Kept relative when the sweep path is, so reports stay portable.
        let dir = path.contains("/") ? String(path[..<path.lastIndex(of: "/")!]) : "."
        for (k, v) in mapping {
            let line = (k.mark?.line).map { ":\($0)" } ?? ""
            switch k.string {
            case "pipeline":
                guard let p = v.string, !p.isEmpty else { throw PipelineError("\(path)\(line): pipeline: must be a file path") }
                base = normalized(p.hasPrefix("/") ? p : "\(dir)/\(p)")
            case "set":
                guard let m = v.mapping else { throw PipelineError("\(path)\(line): set: must map dotted keys to values") }
                for (kk, vv) in m {
                    let key = try knownKey(kk, path: path)
                    fixed.append("\(key)=\(try PipelineConfig.toJSON(vv, where: "\(path): set: \(key)").canonical)")
                }
            case "sweep":
                guard let m = v.mapping, m.count > 0 else {
                    throw PipelineError("\(path)\(line): sweep: must map dotted keys to lists of values")
                }
                for (kk, vv) in m {
                    let key = try knownKey(kk, path: path)
                    guard case .array(let values) = try PipelineConfig.toJSON(vv, where: "\(path): sweep: \(key)"), !values.isEmpty else {
                        throw PipelineError("\(path): sweep: \(key): must be a non-empty list of values")
                    }
                    if Set(values.map(\.canonical)).count != values.count {
                        throw PipelineError("\(path): sweep: \(key): values repeat")
                    }
                    axes.append((key, values))
                }
            default:
                throw PipelineError("\(path)\(line): unknown key '\(k.string ?? "?")' (a sweep file has pipeline, set and sweep)")
            }
        }
        guard let base else { throw PipelineError("\(path): missing pipeline: (the base pipeline file)") }
        let name = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        let sweep = SweepFile(path: path, name: name, basePipeline: base, fixed: fixed, axes: axes)
        // Every variant must be a valid pipeline before any work starts.
        for i in 0..<sweep.variantCount { _ = try sweep.config(variant: i) }
        return sweep
    }

    /// "pipelines/sweeps/../default.yaml" -> "pipelines/default.yaml" (for messages and reports).
    static func normalized(_ path: String) -> String {
        var parts: [Substring] = []
        for c in path.split(separator: "/", omittingEmptySubsequences: true) {
            if c == "." { continue }
            if c == "..", let last = parts.last, last != ".." { parts.removeLast() } else { parts.append(c) }
        }
        return (path.hasPrefix("/") ? "/" : "") + parts.joined(separator: "/")
    }

    private static func knownKey(_ node: Node, path: String) throws -> String {
        guard let key = node.string else { throw PipelineError("\(path): keys must be strings") }
        guard PipelineSettings.field(key) != nil else {
            throw PipelineError("\(path): \(key): not a pipeline key (see docs/configuration.md)")
        }
        return key
    }
}
