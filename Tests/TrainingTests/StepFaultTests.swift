import XCTest
@testable import Numerics
@testable import Training
import Random

/// A batch with NaN or infinite values stops the step before any work; the
/// gradient norm a step reports is the norm of the gradients it left.
final class StepFaultTests: XCTestCase {
    let shape = JEPAShape(channels: 1, patchSize: 2, gridSize: 4, encoder: ViTConfig(embedDim: 16, depth: 1, numHeads: 2),
                          predictorDim: 8, predictorDepth: 1)
    let masks = MaskBatch(batch: 2, contextCount: 3, targetCount: 2, masks: 2,
                          context: [0, 5, 9, 1, 2, 3], targets: [4, 6, 10, 11, 7, 8, 12, 13])

    func batch() -> [Float] {
        var rng = SeededGenerator(seed: 5)
        return (0..<(2 * shape.numPatches * shape.patchDim)).map { _ in Float(rng.normal()) }
    }

    func testNonFiniteBatchStopsTheStepAndChangesNothing() {
        for bad in [Float.nan, .infinity, -.infinity] {
            let trainer = JEPATrainer(shape: shape, loss: .smoothL1, seed: 0)
            let before = Array(UnsafeBufferPointer(start: trainer.encoder.params.values, count: trainer.encoder.params.count))
            var x = batch()
            x[17] = bad
            let r = x.withUnsafeBufferPointer {
                trainer.step(patches: $0.baseAddress!, masks: masks, lr: 1e-3, weightDecay: 0.04, momentum: 0.99)
            }
            XCTAssertTrue(r.nonFiniteInput)
            XCTAssertEqual(JEPATrainer.fault(of: r), "the batch holds NaN or infinite values")
            XCTAssertEqual(Array(UnsafeBufferPointer(start: trainer.encoder.params.values, count: trainer.encoder.params.count)),
                           before, "no update after a bad batch (\(bad))")
        }
    }

    func testReportedGradientNormIsTheNormOfTheGradients() {
        let trainer = JEPATrainer(shape: shape, loss: .l2, seed: 0)
        let r = batch().withUnsafeBufferPointer { trainer.computeGradients(patches: $0.baseAddress!, masks: masks) }
        XCTAssertNil(JEPATrainer.fault(of: r))
        var sq = 0.0
        for store in [trainer.encoder.params, trainer.predictor.params] {
            for i in 0..<store.count { sq += Double(store.grads[i]) * Double(store.grads[i]) }
        }
        XCTAssertGreaterThan(sq, 0)
        XCTAssertEqual(r.gradNorm, sq.squareRoot(), accuracy: 1e-9 * sq.squareRoot())
        var inf = r
        inf.gradNorm = .infinity
        XCTAssertEqual(JEPATrainer.fault(of: inf), "gradient norm is inf")
    }
}
