import Foundation
import Pipeline
import Pretraining

/// Pretrain's log.csv, read with the type that writes it.
struct TrainingLog: Sendable {
    let rows: [TrainingLogRow]

    /// `steps`: how many the run trained (its manifest's count); only a
    /// run of none (imported weights, optimization.epochs 0) has no rows.
    init(path: String, steps: Int) throws {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw PipelineError("\(path): cannot read the training log")
        }
        rows = try TrainingLogRow.parse(text, path: path)
        guard !rows.isEmpty || steps == 0 else { throw PipelineError("\(path): empty training log") }
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
