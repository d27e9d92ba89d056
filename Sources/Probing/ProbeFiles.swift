import Foundation
import Pipeline

/// The files of a probe artifact and the table printed at the end.
enum ProbeFiles {
    static let metricsName = "metrics.json"
    /// A baseline artifact's one subject.
    static let baselineName = "results.json"
    static let csvColumns = ["subject", "features", "classifier", "label_fraction", "train_images", "eval_split",
                             "eval_images", "top1", "l2", "iterations", "converged", "seconds"]

    static func write(metrics: ProbeMetrics, to dir: String) throws {
        try RecordFile.write(metrics, to: "\(dir)/\(metricsName)")
        var csv = csvColumns.joined(separator: ",") + "\n"
        try FileManager.default.createDirectory(atPath: "\(dir)/confusion", withIntermediateDirectories: true)
        let names = metrics.classNames
        for (subject, s) in metrics.ordered {
            for r in s.results {
                let fields: [String] = [
                    subject.rawValue, s.features, r.classifier, format(r.labelFraction), "\(r.trainImages)",
                    metrics.evalSplit, "\(metrics.evalImages)", format(r.top1), r.l2.map(format) ?? "",
                    r.iterations.map(String.init) ?? "", r.converged.map { $0 ? "true" : "false" } ?? "",
                    String(format: "%.3f", r.seconds),
                ]
                csv += fields.map(CSV.field).joined(separator: ",") + "\n"
                // Rows: true class; columns: predicted class.
                var m = "true\\predicted," + names.map(CSV.field).joined(separator: ",") + "\n"
                for (i, row) in r.confusion.enumerated() {
                    let label = i < names.count ? names[i] : "\(i)"
                    m += CSV.field(label) + "," + row.map(String.init).joined(separator: ",") + "\n"
                }
                try save(m, to: "\(dir)/confusion/\(subject.rawValue)-\(r.classifier)-\(percentName(r.labelFraction)).csv")
            }
        }
        try save(csv, to: "\(dir)/metrics.csv")
    }

    /// Top-1 per subject, classifier and label fraction, as plain text.
    static func table(_ metrics: ProbeMetrics) -> String {
        let subs = metrics.ordered
        let fractions = Array(Set(subs.flatMap { $0.metrics.results.map(\.labelFraction) })).sorted()
        var header = "features".padding(toLength: 32, withPad: " ", startingAt: 0)
        for c in ["linear", "k-NN"] {
            for f in fractions { header += "\(c) \(percentLabel(f))".leftPadded(14) }
        }
        var out = "\nTop-1 on \(metrics.evalDescription) (\(metrics.evalImages) images):\n" + header + "\n"
        for (subject, s) in subs {
            var line = s.title.padding(toLength: 32, withPad: " ", startingAt: 0)
            for c in ["linear", "knn"] {
                for f in fractions {
                    let top1 = metrics.result(subject, c, f)?.top1
                    line += top1.map { String(format: "%.2f%%", 100 * $0) }.map { $0.leftPadded(14) } ?? "-".leftPadded(14)
                }
            }
            out += line + "\n"
        }
        return out + "\n"
    }

    /// Top-1 per subject for the manifest.
    static func summary(_ metrics: ProbeMetrics) -> JSON {
        var o: [String: JSON] = [:]
        for (subject, s) in metrics.ordered {
            var r: [String: JSON] = [:]
            for x in s.results { r["\(x.classifier)_\(percentName(x.labelFraction))"] = .double(x.top1) }
            o[subject.rawValue] = .object(r)
        }
        return .object(["top1": .object(o), "eval_split": .string(metrics.evalSplit)])
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
