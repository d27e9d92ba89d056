import Foundation
import Pipeline

/// A probe artifact's `metrics.json`: written by Probe and read back by
/// Probe (an up-to-date artifact) and Report, with these types on both sides.
public struct ProbeMetrics: Codable, Sendable, Equatable {
    public var notes: [String]
    /// "val", or "holdout" (carved from train).
    public var evalSplit: String
    public var evalDescription: String
    public var evalImages: Int
    public var trainImages: Int
    public var classNames: [String]
    /// The encoders' feature kind (probe.features).
    public var features: String
    /// The upstream artifact keys: "prepare", "pretrain".
    public var artifacts: [String: String]
    /// By `ProbeStage.Subject` raw value.
    public var subjects: [String: SubjectMetrics]

    enum CodingKeys: String, CodingKey {
        case notes, features, artifacts, subjects
        case evalSplit = "eval_split", evalDescription = "eval_description", evalImages = "eval_images"
        case trainImages = "train_images", classNames = "class_names"
    }

    /// Subjects in report order: I-JEPA first, then the baselines.
    public var ordered: [(subject: ProbeStage.Subject, metrics: SubjectMetrics)] {
        ProbeStage.Subject.allCases.compactMap { s in subjects[s.rawValue].map { (s, $0) } }
    }

    /// The label fractions the I-JEPA subject was probed at, ascending.
    public var fractions: [Double] {
        Array(Set(subjects[ProbeStage.Subject.ijepa.rawValue]?.results.map(\.labelFraction) ?? [])).sorted()
    }

    public func result(_ subject: ProbeStage.Subject, _ classifier: String, _ fraction: Double) -> ClassifierResult? {
        subjects[subject.rawValue]?.results.first { $0.classifier == classifier && $0.labelFraction == fraction }
    }
}

/// Every probe of one subject (the I-JEPA encoder or a baseline); a
/// baseline artifact's `results.json` is one of these.
public struct SubjectMetrics: Codable, Sendable, Equatable {
    public var subject: String
    public var title: String
    public var features: String
    public var dim: Int
    /// When read from the feature cache: the rate and time of the extraction that wrote it.
    public var extractImagesPerSecond: Double
    public var extractSeconds: Double
    /// Mean over features of the std across train images (near 0: collapse).
    public var featureStd: Double
    public var results: [ClassifierResult]
    /// The feature artifacts used, one per split (none for raw pixels).
    public var featureArtifacts: [String]?
    /// What differs from the other subjects (raw pixels on a sample of the images).
    public var note: String? = nil

    enum CodingKeys: String, CodingKey {
        case subject, title, features, dim, results, note
        case extractImagesPerSecond = "extract_images_per_s", extractSeconds = "extract_seconds"
        case featureStd = "feature_std", featureArtifacts = "feature_artifacts"
    }
}

/// One probe's score on the evaluation images.
public struct ClassifierResult: Codable, Sendable, Equatable {
    /// "linear" or "knn".
    public var classifier: String
    public var labelFraction: Double
    public var trainImages: Int
    public var top1: Double
    /// nil for a class with no evaluation image.
    public var perClassTop1: [Double?]
    /// [true class][predicted class]
    public var confusion: [[Int]]
    /// Linear probe only: the chosen L2 strength, held-out top-1 for each
    /// strength tried, how it was chosen, and the final fit's convergence.
    public var l2: Double? = nil
    public var l2Search: [L2Trial]? = nil
    public var l2Selection: String? = nil
    public var iterations: Int? = nil
    public var converged: Bool? = nil
    public var seconds: Double = 0

    public struct L2Trial: Codable, Sendable, Equatable {
        public var l2: Double
        public var holdoutTop1: Double
        enum CodingKeys: String, CodingKey { case l2, holdoutTop1 = "holdout_top1" }
    }

    enum CodingKeys: String, CodingKey {
        case classifier, top1, confusion, l2, iterations, converged, seconds
        case labelFraction = "label_fraction", trainImages = "train_images", perClassTop1 = "per_class_top1"
        case l2Search = "l2_search", l2Selection = "l2_selection"
    }
}

/// The JSON files of probe records: sorted keys, indented; a NaN or an
/// infinity (top-1 of an empty set) is written as a string and read back.
enum RecordFile {
    static func write<T: Encodable>(_ value: T, to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        let data = try encoder.encode(value)
        guard FileManager.default.createFile(atPath: path, contents: data + Data("\n".utf8)) else {
            throw PipelineError("\(path): cannot write")
        }
    }

    static func read<T: Decodable>(_ type: T.Type, from path: String) throws -> T {
        guard let data = FileManager.default.contents(atPath: path) else { throw PipelineError("\(path): missing") }
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        do { return try decoder.decode(type, from: data) } catch {
            throw PipelineError("\(path): not a \(T.self) record of this version (\(describe(error)))")
        }
    }

    /// The decoding error's key path and reason in one line.
    static func describe(_ error: Error) -> String {
        guard let e = error as? DecodingError else { return "\(error)" }
        func path(_ c: DecodingError.Context) -> String { c.codingPath.map(\.stringValue).joined(separator: ".") }
        switch e {
        case .keyNotFound(let k, let c): return "missing key \((path(c).isEmpty ? "" : path(c) + ".") + k.stringValue)"
        case .typeMismatch(_, let c), .valueNotFound(_, let c), .dataCorrupted(let c):
            return "\(path(c)): \(c.debugDescription)"
        @unknown default: return "\(error)"
        }
    }
}
