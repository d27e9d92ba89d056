import XCTest
@testable import Numerics
@testable import Training
import Random

/// meta.target_layers: the targets are the mean of the last K blocks, each
/// normalised without parameters; K = 1 is the official target.
/// meta.center_targets: each position's mean over the batch is removed.
final class TargetLayersTests: XCTestCase {
    let shape = JEPAShape(channels: 1, patchSize: 2, gridSize: 4, encoder: ViTConfig(embedDim: 16, depth: 3, numHeads: 2),
                          predictorDim: 8, predictorDepth: 1)

    /// Plain LayerNorm of one row in Double.
    func normalized(_ x: UnsafePointer<Float>, _ e: Int) -> [Double] {
        let v = (0..<e).map { Double(x[$0]) }
        let mean = v.reduce(0, +) / Double(e)
        let variance = v.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(e)
        return v.map { ($0 - mean) / (variance + Double(JEPATrainer.targetEps)).squareRoot() }
    }

    func targets(layers: Int) -> (got: [Float], want: [Double]) {
        let trainer = JEPATrainer(shape: shape, loss: .l2, seed: 3, targetLayers: layers)
        var rng = SeededGenerator(seed: 9)
        let b = 2, n = shape.numPatches, e = shape.encoder.embedDim, rows = b * n
        let x = (0..<(b * n * shape.patchDim)).map { _ in Float(rng.normal()) }
        let h = x.withUnsafeBufferPointer {
            trainer.targetEncoder.forward(patches: $0.baseAddress!, batch: b, indices: nil, count: n, training: false)
        }
        let got = Array(UnsafeBufferPointer(start: trainer.targetFeatures(h, batch: b), count: rows * e))
        var want = [Double](repeating: 0, count: rows * e)
        let depth = shape.encoder.depth
        for l in (depth - layers)..<depth {
            // The last of them is the encoder's output (after its final norm).
            let src = l == depth - 1 ? h : trainer.targetEncoder.blockOutput(l)
            for r in 0..<rows {
                for (j, v) in normalized(src + r * e, e).enumerated() { want[r * e + j] += v / Double(layers) }
            }
        }
        return (got, want)
    }

    func testCentringRemovesEachPositionsBatchMeanAndNothingElse() {
        var rng = SeededGenerator(seed: 4)
        let b = 3, n = shape.numPatches, e = shape.encoder.embedDim, width = n * e
        let x = (0..<(b * n * shape.patchDim)).map { _ in Float(rng.normal()) }
        func features(center: Bool) -> [Float] {
            let trainer = JEPATrainer(shape: shape, loss: .l2, seed: 3, targetLayers: 2, centerTargets: center)
            let h = x.withUnsafeBufferPointer {
                trainer.targetEncoder.forward(patches: $0.baseAddress!, batch: b, indices: nil, count: n, training: false)
            }
            return Array(UnsafeBufferPointer(start: trainer.targetFeatures(h, batch: b), count: b * width))
        }
        let plain = features(center: false), centred = features(center: true)
        for j in 0..<width {
            let mean = (0..<b).map { Double(plain[$0 * width + j]) }.reduce(0, +) / Double(b)
            for s in 0..<b {
                XCTAssertEqual(Double(centred[s * width + j]), Double(plain[s * width + j]) - mean, accuracy: 1e-5)
            }
        }
    }

    func testOneLayerIsTheNormalisedOutputAndSeveralAreTheMeanOfNormalisedBlocks() {
        for k in 1...3 {
            let (got, want) = targets(layers: k)
            let worst = zip(got, want).map { abs(Double($0) - $1) }.max()!
            XCTAssertLessThan(worst, 1e-4, "K = \(k)")
        }
        XCTAssertNotEqual(targets(layers: 1).got, targets(layers: 2).got, "K changes the targets")
    }
}
