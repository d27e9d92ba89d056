import Foundation
import Yams

/// A sweep: a base pipeline and the values to try for some of its keys.
///
///     pipeline: ../default.yaml          # relative to this file
///     set:                               # optional, every variant
///       optimization.epochs: 1
///     sweep:                             # the product of these lists
///       mask.pred_mask_scale: [[0.1, 0.15], [0.15, 0.2], [0.2, 0.3]]
///     seeds: [0, 1, 2]                   # optional: each variant once per seed
///     reference: {mask.pred_mask_scale: [0.15, 0.2]}   # optional
///
/// Each variant is the base pipeline with `--set` overrides, so it is
/// validated like any pipeline and shares every artifact whose inputs it
/// does not change. A replicate sets `meta.seed` and `probe.seed` to its
/// seed (initial weights, masks, data order, augmentation, label sampling
/// and the holdout split), so the baselines are shared by every variant of
/// one seed. A file with `seeds:` and no `sweep:` replicates its pipeline.
public struct SweepFile: Sendable {
    public let path: String
    public let name: String
    public let basePipeline: String
    /// Overrides of every variant, as `key=value`.
    public let fixed: [String]
    /// The swept keys in file order, and their values.
    public let axes: [(key: String, values: [JSON])]
    /// The replicate seeds; empty: one run per variant at the pipeline's seeds.
    public let seeds: [Int]
    /// The variant the others are compared with, when the file names one or
    /// one variant has the base pipeline's own values.
    public let reference: Int?

    /// The keys a replicate's seed sets.
    public static let seedKeys = ["meta.seed", "probe.seed"]

    public var variantCount: Int { axes.reduce(1) { $0 * $1.values.count } }

    /// One pipeline run of the sweep: a variant at one replicate seed.
    public struct Run: Sendable, Equatable {
        public let variant: Int
        /// Nil: the pipeline's own seeds (a sweep without `seeds:`).
        public let seed: Int?
        public init(variant: Int, seed: Int?) {
            self.variant = variant
            self.seed = seed
        }
        /// "2" or "2-1" (variant 2, seed 1): the Makefile's target suffix.
        public var name: String { seed.map { "\(variant)-\($0)" } ?? "\(variant)" }
    }

    /// Every run, variant by variant, seeds in file order.
    public var runs: [Run] {
        (0..<variantCount).flatMap { v in seeds.isEmpty ? [Run(variant: v, seed: nil)] : seeds.map { Run(variant: v, seed: $0) } }
    }

    /// The same sweep with other replicate seeds (`--seeds`), or unchanged for nil.
    public func replicated(_ newSeeds: [Int]?) throws -> SweepFile {
        guard let newSeeds else { return self }
        try Self.checkSeeds(newSeeds, where: "--seeds")
        return SweepFile(path: path, name: name, basePipeline: basePipeline, fixed: fixed, axes: axes, seeds: newSeeds,
                         reference: reference)
    }

    /// A pipeline file run once per seed: a sweep with one variant.
    public static func replicates(of pipeline: String, seeds: [Int], overrides: [String] = []) throws -> SweepFile {
        try checkSeeds(seeds, where: "--seeds")
        let name = URL(fileURLWithPath: pipeline).deletingPathExtension().lastPathComponent
        let sweep = SweepFile(path: pipeline, name: name, basePipeline: pipeline, fixed: [], axes: [], seeds: seeds,
                              reference: 0)
        for run in sweep.runs { _ = try sweep.config(run, extra: overrides) }
        return sweep
    }

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

    /// The overrides that make a run's replicate: its seed in every seed key.
    public static func seedOverrides(_ seed: Int?) -> [String] {
        seed.map { s in seedKeys.map { "\($0)=\(s)" } } ?? []
    }

    /// Variant `i` at the pipeline's own seeds (a sweep with `seeds:` needs
    /// `config(_ run:)` instead).
    public func config(variant i: Int, extra: [String] = []) throws -> PipelineConfig {
        guard seeds.isEmpty else {
            throw PipelineError("\(path): replicated over seeds \(seeds): also give --seed (one of them)")
        }
        return try config(Run(variant: i, seed: nil), extra: extra)
    }

    /// Variant `i` at replicate `seed`, which must be one of `seeds`.
    public func config(variant i: Int, seed: Int?, extra: [String] = []) throws -> PipelineConfig {
        guard let seed else { return try config(variant: i, extra: extra) }
        guard seeds.contains(seed) else {
            throw PipelineError("\(path): seed \(seed) is not one of its seeds \(seeds.isEmpty ? "(it has no seeds:)" : "\(seeds)")")
        }
        return try config(Run(variant: i, seed: seed), extra: extra)
    }

    public func config(_ run: Run, extra: [String] = []) throws -> PipelineConfig {
        let i = run.variant
        guard i >= 0, i < variantCount else {
            throw PipelineError("\(path): variant \(i) does not exist (the sweep has \(variantCount): 0...\(variantCount - 1))")
        }
        for o in extra {
            let key = o.split(separator: "=", maxSplits: 1).first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
            if axes.contains(where: { $0.key == key }) {
                throw PipelineError("--set \(key): \(path) sweeps this key; an override would make every variant the same")
            }
            if run.seed != nil, Self.seedKeys.contains(key) {
                throw PipelineError("--set \(key): \(path) is replicated over seeds \(seeds), which set \(key); drop the override or the seeds")
            }
        }
        do {
            return try PipelineConfig.load(path: basePipeline, overrides: overrides(i) + Self.seedOverrides(run.seed) + extra)
        } catch {
            let what = label(i).isEmpty ? "" : " (\(label(i)))"
            throw PipelineError("\(path): variant \(i)\(what)\(run.seed.map { ", seed \($0)" } ?? ""): \(error)")
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
        var seeds: [Int] = []
        var referenceNode: (Node, String)? = nil
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
            case "seeds":
                guard case .array(let values) = try PipelineConfig.toJSON(v, where: "\(path): seeds"),
                      case let ints = values.compactMap(\.intValue), ints.count == values.count else {
                    throw PipelineError("\(path)\(line): seeds: must be a list of non-negative integers, e.g. [0, 1, 2]")
                }
                try checkSeeds(ints, where: "\(path)\(line): seeds")
                seeds = ints
            case "reference":
                referenceNode = (v, line)
            default:
                throw PipelineError("\(path)\(line): unknown key '\(k.string ?? "?")' (a sweep file has pipeline, set, sweep, seeds and reference)")
            }
        }
        guard let base else { throw PipelineError("\(path): missing pipeline: (the base pipeline file)") }
        if axes.isEmpty && seeds.isEmpty {
            throw PipelineError("\(path): needs sweep: (keys and values to try) or seeds: (replicates), or both")
        }
        if !seeds.isEmpty {
            for key in seedKeys where fixed.contains(where: { $0.hasPrefix("\(key)=") }) || axes.contains(where: { $0.0 == key }) {
                throw PipelineError("\(path): \(key) is set or swept, but seeds: sets it for each replicate; use one or the other")
            }
        }
        let name = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        var sweep = SweepFile(path: path, name: name, basePipeline: base, fixed: fixed, axes: axes, seeds: seeds, reference: nil)
        // Every run must be a valid pipeline before any work starts.
        for run in sweep.runs { _ = try sweep.config(run) }
        let reference = try referenceNode.map { try sweep.namedReference($0.0, line: $0.1) } ?? sweep.ownValuesVariant()
        sweep = SweepFile(path: path, name: name, basePipeline: base, fixed: fixed, axes: axes, seeds: seeds, reference: reference)
        return sweep
    }

    static func checkSeeds(_ seeds: [Int], where context: String) throws {
        guard !seeds.isEmpty else { throw PipelineError("\(context): needs at least one seed") }
        if let bad = seeds.first(where: { $0 < 0 }) { throw PipelineError("\(context): \(bad) is negative") }
        if Set(seeds).count != seeds.count { throw PipelineError("\(context): seeds repeat") }
    }

    /// `reference: {key: value, ...}`: the variant with these swept values.
    private func namedReference(_ node: Node, line: String) throws -> Int {
        guard let m = node.mapping else {
            throw PipelineError("\(path)\(line): reference: must map each swept key to one of its values")
        }
        var wanted: [String: String] = [:]
        for (kk, vv) in m {
            guard let key = kk.string, axes.contains(where: { $0.key == key }) else {
                throw PipelineError("\(path)\(line): reference: \(kk.string ?? "?") is not a swept key (swept: \(axes.map(\.key).joined(separator: ", ")))")
            }
            wanted[key] = try PipelineConfig.toJSON(vv, where: "\(path): reference: \(key)").canonical
        }
        if let missing = axes.first(where: { wanted[$0.key] == nil }) {
            throw PipelineError("\(path)\(line): reference: gives no value of \(missing.key)")
        }
        guard let i = (0..<variantCount).first(where: { i in assignment(i).allSatisfy { wanted[$0.key] == $0.value.canonical } }) else {
            throw PipelineError("\(path)\(line): reference: \(wanted.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")) is not a variant of the sweep")
        }
        return i
    }

    /// The variant whose swept values are the base pipeline's own (after
    /// `set:`), if exactly one is.
    private func ownValuesVariant() -> Int? {
        guard let base = try? PipelineConfig.load(path: basePipeline, overrides: fixed) else { return nil }
        let matches = (0..<variantCount).filter { i in
            assignment(i).allSatisfy { base.values[$0.key]?.canonical == $0.value.canonical }
        }
        return matches.count == 1 ? matches[0] : nil
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
