import Foundation
import Pipeline
import Pretraining

/// Pretrain's log.csv, read with the type that writes it.
struct TrainingLog: Sendable {
    let rows: [TrainingLogRow]

    init(path: String) throws {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw PipelineError("\(path): cannot read the training log")
        }
        rows = try TrainingLogRow.parse(text, path: path)
        guard !rows.isEmpty else { throw PipelineError("\(path): empty training log") }
    }

    /// (step, value) pairs of a field.
    func series(_ field: KeyPath<TrainingLogRow, Double>) -> [(x: Double, y: Double)] {
        rows.map { (x: Double($0.step), y: $0[keyPath: field]) }
    }

    /// Mean of the last `n` values of a field (the end of training, less noisy than one step).
    func tailMean(_ field: KeyPath<TrainingLogRow, Double>, _ n: Int = 20) -> Double {
        let v = rows.suffix(n).map { $0[keyPath: field] }.filter(\.isFinite)
        return v.isEmpty ? .nan : v.reduce(0, +) / Double(v.count)
    }
}

/// The learning curve's eval.csv: columns by name.
struct CurveLog: Sendable {
    let columns: [String]
    let rows: [[Double]]

    init(path: String) throws {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw PipelineError("\(path): cannot read the training log")
        }
        let lines = text.split(separator: "\n")
        guard let header = lines.first else { throw PipelineError("\(path): empty training log") }
        columns = header.split(separator: ",").map(String.init)
        rows = lines.dropFirst().map { line in
            line.split(separator: ",", omittingEmptySubsequences: false).map { Double($0) ?? .nan }
        }
    }

    func column(_ name: String) -> [Double] {
        guard let i = columns.firstIndex(of: name) else { return [] }
        return rows.map { i < $0.count ? $0[i] : .nan }
    }

    /// (step, value) pairs of a column.
    func series(_ name: String) -> [(x: Double, y: Double)] {
        Array(zip(column("step"), column(name))).map { (x: $0.0, y: $0.1) }
    }

    /// Mean of the last `n` values of a column (the end of training, less noisy than one step).
    func tailMean(_ name: String, _ n: Int = 20) -> Double {
        let v = column(name).suffix(n).filter(\.isFinite)
        return v.isEmpty ? .nan : v.reduce(0, +) / Double(v.count)
    }
}
