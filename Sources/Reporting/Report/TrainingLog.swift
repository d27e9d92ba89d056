import Foundation
import Pipeline

/// Pretrain's log.csv: one row per step, columns by name.
struct TrainingLog: Sendable {
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
