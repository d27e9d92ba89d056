import Evaluation
import Foundation
import Logging
import Numerics
import Pipeline
import Shards

/// `artifacts/features/<key>/features.h5`: one frozen encoder's features of
/// one prepared split, computed once per (weights, feature kind, split) so a
/// probe-only change (k, label fractions, L2 grid, holdout) reuses them.
/// The file holds `features` (N, dim) float32 and `labels` (N) int32 in the
/// split's order, readable with h5py.
enum FeatureArtifact {
    static let stage = "features"
    static let formatVersion = 1
    static let fileName = "features.h5"

    /// One split's features and how long they took to extract.
    struct Split {
        let key: String
        let values: [Float]  // (N, dim)
        let dim: Int
        let seconds: Double
        let reused: Bool
    }

    /// The weights are those of the pretrain artifact (I-JEPA) or the
    /// encoder's initialisation (architecture and seed); the feature kind and
    /// split complete the key. Extraction batch size changes no result.
    static func material(_ encoder: ProbedEncoder, split: String, config: PipelineConfig,
                         prepareKey: String, pretrainKey: String) -> ArtifactKeyMaterial {
        let s = config.settings, parameters: [String: JSON] = ["subject": .string(encoder.subject.rawValue), "split": .string(split)]
        switch encoder {
        case .pretrained:
            return ArtifactKeyMaterial(stage: stage, formatVersion: formatVersion, settings: s.probe.features,
                                       upstream: ["prepare": prepareKey, "pretrain": pretrainKey], parameters: parameters)
        case .initialWeights:
            return ArtifactKeyMaterial(stage: stage, formatVersion: formatVersion,
                                       settings: InitialFeatureInputs(features: s.probe.features, weights: InitialWeights(s)),
                                       upstream: ["prepare": prepareKey], parameters: parameters)
        }
    }

    /// The split's features: read from their artifact when it is up to date,
    /// else extracted with `encoder()` and published.
    static func obtain(_ material: ArtifactKeyMaterial, split: LabeledSplit, kind: FeatureKind, options: ProbeOptions,
                       store: ArtifactStore, force: Bool, log: Logger,
                       encoder: () throws -> VisionTransformer) throws -> Split {
        let key = material.key, dir = store.directory(stage: stage, key: key)
        return try store.buildOnce(stage: stage, key: key, force: force, log: log, reused: nil) { manifest in
            try read(dir, manifest: manifest, split: split, key: key)
        } build: {
            let started = Date()
            let model = try encoder()
            let progress = Pipeline.Progress("\(ProbeStage.name): \(material.parameters["subject"]?.stringValue ?? "") features of \(split.name)",
                                             total: split.count, interval: options.progressInterval)
            let values = try FeatureExtractor.encoderFeatures(model, kind: kind, split: split,
                                                          batchSize: options.batchSize, progress: progress)
            let rate = progress.finish()
            let seconds = Date().timeIntervalSince(started)
            let dim = values.count / max(split.count, 1)
            try store.build(material, started: started) { tmp in
                let w = try HDF5Writer(path: "\(tmp)/\(fileName)")
                try w.write("features", floats: values, shape: [split.count, dim])
                try w.write("labels", int32s: split.labels, shape: [split.count])
                try w.setAttribute("subject", string: material.parameters["subject"]?.stringValue ?? "")
                try w.setAttribute("split", string: split.name)
                try w.setAttribute("features", string: kind.rawValue)
                try w.close()
                return StageResult(counts: ["images": split.count, "dim": dim],
                                   details: .object(["extract_seconds": .double(seconds), "extract_images_per_s": .double(rate)]))
            }
            log.info("wrote \(dir)")
            return Split(key: key, values: values, dim: dim, seconds: seconds, reused: false)
        }
    }

    /// Features from a published artifact, checked against the split they claim to describe.
    static func read(_ dir: String, manifest: JSON, split: LabeledSplit, key: String) throws -> Split {
        let path = "\(dir)/\(fileName)"
        let file = try HDF5File(path: path)
        let shape = try file.shape("features")
        guard shape.count == 2, shape[0] == split.count, try file.int32s("labels") == split.labels else {
            throw PipelineError("\(path): features do not match the \(split.count) images of the \(split.name) split (shape \(shape)); delete the folder to recompute")
        }
        let seconds = manifest["details"]?["extract_seconds"]?.doubleValue ?? .nan
        return Split(key: key, values: try file.floats("features"), dim: shape[1], seconds: seconds, reused: true)
    }
}
