import Foundation
import Pipeline

/// The files of a probe artifact and the table printed at the end.
enum ProbeFiles {
    static let csvColumns = ["subject", "features", "classifier", "label_fraction", "train_images", "eval_split",
                             "eval_images", "top1", "l2", "iterations", "converged", "seconds"]

    static func write(metrics: JSON, to dir: String) throws {
        try save(metrics.pretty, to: "\(dir)/metrics.json")
        var csv = csvColumns.joined(separator: ",") + "\n"
        try FileManager.default.createDirectory(atPath: "\(dir)/confusion", withIntermediateDirectories: true)
        let names = metrics["class_names"]?.arrayValue?.compactMap(\.stringValue) ?? []
        for (subject, s) in subjects(metrics) {
            for r in s["results"]?.arrayValue ?? [] {
                let classifier = r["classifier"]?.stringValue ?? ""
                let fraction = r["label_fraction"]?.doubleValue ?? .nan
                let fields: [String] = [
                    subject, s["features"]?.stringValue ?? "", classifier, format(fraction),
                    "\(r["train_images"]?.intValue ?? 0)", metrics["eval_split"]?.stringValue ?? "",
                    "\(metrics["eval_images"]?.intValue ?? 0)", format(r["top1"]?.doubleValue ?? .nan),
                    r["l2"]?.doubleValue.map(format) ?? "", r["iterations"]?.intValue.map(String.init) ?? "",
                    r["converged"]?.boolValue.map { $0 ? "true" : "false" } ?? "",
                    String(format: "%.3f", r["seconds"]?.doubleValue ?? 0),
                ]
                csv += fields.map(CSV.field).joined(separator: ",") + "\n"
                // Rows: true class; columns: predicted class.
                var m = "true\\predicted," + names.map(CSV.field).joined(separator: ",") + "\n"
                for (i, row) in (r["confusion"]?.arrayValue ?? []).enumerated() {
                    let label = i < names.count ? names[i] : "\(i)"
                    m += CSV.field(label) + "," + (row.arrayValue ?? []).map { "\($0.intValue ?? 0)" }.joined(separator: ",") + "\n"
                }
                try save(m, to: "\(dir)/confusion/\(subject)-\(classifier)-\(percentName(fraction)).csv")
            }
        }
        try save(csv, to: "\(dir)/metrics.csv")
    }

    /// Subjects in report order: I-JEPA first, then the baselines.
    static func subjects(_ metrics: JSON) -> [(String, JSON)] {
        let all = metrics["subjects"]?.objectValue ?? [:]
        return ProbeStage.Subject.allCases.compactMap { s in all[s.rawValue].map { (s.rawValue, $0) } }
    }

    /// Top-1 per subject, classifier and label fraction, as plain text.
    static func table(_ metrics: JSON) -> String {
        let subs = subjects(metrics)
        let fractions = Array(Set(subs.flatMap { ($0.1["results"]?.arrayValue ?? []).compactMap { $0["label_fraction"]?.doubleValue } })).sorted()
        var header = "features".padding(toLength: 32, withPad: " ", startingAt: 0)
        for c in ["linear", "k-NN"] {
            for f in fractions { header += "\(c) \(percentLabel(f))".leftPadded(14) }
        }
        var out = "\nTop-1 on \(metrics["eval_description"]?.stringValue ?? "?") (\(metrics["eval_images"]?.intValue ?? 0) images):\n" + header + "\n"
        for (_, s) in subs {
            var line = (s["title"]?.stringValue ?? "?").padding(toLength: 32, withPad: " ", startingAt: 0)
            for c in ["linear", "knn"] {
                for f in fractions {
                    let r = (s["results"]?.arrayValue ?? []).first { $0["classifier"]?.stringValue == c && $0["label_fraction"]?.doubleValue == f }
                    line += (r?["top1"]?.doubleValue).map { String(format: "%.2f%%", 100 * $0) }.map { $0.leftPadded(14) } ?? "-".leftPadded(14)
                }
            }
            out += line + "\n"
        }
        return out + "\n"
    }

    /// Top-1 per subject for the manifest.
    static func summary(_ metrics: JSON) -> JSON {
        var o: [String: JSON] = [:]
        for (subject, s) in subjects(metrics) {
            var r: [String: JSON] = [:]
            for x in s["results"]?.arrayValue ?? [] {
                let k = "\(x["classifier"]?.stringValue ?? "")_\(percentName(x["label_fraction"]?.doubleValue ?? .nan))"
                r[k] = x["top1"] ?? .null
            }
            o[subject] = .object(r)
        }
        return .object(["top1": .object(o), "eval_split": metrics["eval_split"] ?? .null])
    }

    static func percentName(_ f: Double) -> String {
        let p = f * 100
        return p == p.rounded() ? "\(Int(p))pct" : String(format: "%gpct", p)
    }

    static func percentLabel(_ f: Double) -> String { String(format: "%g%%", f * 100) }

    static func format(_ x: Double) -> String { x.isFinite ? "\(x)" : "" }

    static func save(_ text: String, to path: String) throws {
        guard FileManager.default.createFile(atPath: path, contents: Data(text.utf8)) else {
            throw PipelineError("\(path): cannot write")
        }
    }
}

extension String {
    func leftPadded(_ n: Int) -> String { count >= n ? " " + self : String(repeating: " ", count: n - count) + self }
}
