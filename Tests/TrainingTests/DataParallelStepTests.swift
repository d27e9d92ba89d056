import XCTest
@testable import Numerics
@testable import Training
import Random

/// The arithmetic data-parallel training rests on: the mean of the
/// gradients of a batch's slices, with the slices' masks cut from the
/// batch's, is the batch's gradient; and with a reducer a bad batch still
/// reaches the collectives and is reported after them.
final class DataParallelStepTests: XCTestCase {
    let shape = JEPAShape(channels: 1, patchSize: 2, gridSize: 7, encoder: ViTConfig(embedDim: 16, depth: 2, numHeads: 2),
                          predictorDim: 8, predictorDepth: 1)

    func batch(_ b: Int) -> [Float] {
        var rng = SeededGenerator(seed: 11)
        return (0..<(b * shape.numPatches * shape.patchDim)).map { _ in Float(rng.normal()) }
    }

    func sampler() -> MaskSampler {
        let s = MaskSampler(grid: 7, predScale: 0.15...0.2, aspectRatio: 0.75...1.5, encScale: 0.85...1.0,
                            numTargets: 2, minKeep: 4, allowOverlap: false, seed: 3)
        XCTAssertNil(s.problem())
        return s
    }

    func testSlicesOfAMaskBatchPutTogetherAreTheBatch() {
        let m = sampler().sample(step: 5, batch: 6)
        let parts = [m.slice(0..<2), m.slice(2..<4), m.slice(4..<6)]
        XCTAssertEqual(parts.flatMap(\.context), m.context)
        for p in parts {
            XCTAssertEqual(p.contextCount, m.contextCount)
            XCTAssertEqual(p.targetCount, m.targetCount)
            XCTAssertEqual(p.batch, 2)
        }
        for mask in 0..<m.masks {
            let whole = Array(m.targets[(mask * 6 * m.targetCount)..<((mask + 1) * 6 * m.targetCount)])
            let joined = parts.flatMap { Array($0.targets[(mask * 2 * m.targetCount)..<((mask + 1) * 2 * m.targetCount)]) }
            XCTAssertEqual(joined, whole, "mask \(mask)")
        }
        XCTAssertEqual(m.slice(0..<6), m)
    }

    func testMeanOfSliceGradientsIsTheBatchGradient() {
        let b = 4, sample = shape.numPatches * shape.patchDim
        let x = batch(b)
        let masks = sampler().sample(step: 2, batch: b)
        let whole = JEPATrainer(shape: shape, loss: .smoothL1, seed: 0)
        let r = x.withUnsafeBufferPointer { whole.computeGradients(patches: $0.baseAddress!, masks: masks) }
        var mean = [Float](repeating: 0, count: whole.encoder.params.count + whole.predictor.params.count)
        var loss = 0.0
        for part in [0..<2, 2..<4] {
            let replica = JEPATrainer(shape: shape, loss: .smoothL1, seed: 0)
            let rr = x.withUnsafeBufferPointer {
                replica.computeGradients(patches: $0.baseAddress! + part.lowerBound * sample, masks: masks.slice(part))
            }
            loss += rr.loss / 2
            let e = replica.encoder.params, p = replica.predictor.params
            for i in 0..<e.count { mean[i] += e.grads[i] / 2 }
            for i in 0..<p.count { mean[e.count + i] += p.grads[i] / 2 }
        }
        XCTAssertEqual(loss, r.loss, accuracy: 1e-6 * r.loss)
        let e = whole.encoder.params, p = whole.predictor.params
        var worst: Float = 0, scale: Float = 0
        for i in 0..<e.count { worst = max(worst, abs(mean[i] - e.grads[i])); scale = max(scale, abs(e.grads[i])) }
        for i in 0..<p.count { worst = max(worst, abs(mean[e.count + i] - p.grads[i])); scale = max(scale, abs(p.grads[i])) }
        XCTAssertGreaterThan(scale, 0)
        XCTAssertLessThan(worst, 1e-5 * scale, "largest gradient difference \(worst) (largest gradient \(scale))")
    }

    /// A world of one replica that counts the calls.
    final class CountingReducer: GradientReducer {
        var readyStores = 0, finishes = 0
        func ready(_ store: ParameterStore) { readyStores += 1 }
        func finish() { finishes += 1 }
        func mean(_ values: [Double]) -> [Double] { values }
    }

    func testWithAReducerABadBatchReachesTheCollectivesAndStopsTheStep() {
        let trainer = JEPATrainer(shape: shape, loss: .l2, seed: 0)
        let reducer = CountingReducer()
        trainer.reducer = reducer
        let masks = sampler().sample(step: 0, batch: 2)
        var x = batch(2)
        let before = Array(UnsafeBufferPointer(start: trainer.encoder.params.values, count: trainer.encoder.params.count))
        x[3] = .nan
        let r = x.withUnsafeBufferPointer {
            trainer.step(patches: $0.baseAddress!, masks: masks, lr: 1e-3, weightDecay: 0.04, momentum: 0.99)
        }
        XCTAssertEqual(reducer.readyStores, 2, "predictor and encoder handed over")
        XCTAssertEqual(reducer.finishes, 1)
        XCTAssertTrue(r.nonFiniteInput)
        XCTAssertEqual(JEPATrainer.fault(of: r), "the batch holds NaN or infinite values")
        XCTAssertEqual(Array(UnsafeBufferPointer(start: trainer.encoder.params.values, count: trainer.encoder.params.count)),
                       before, "no update after a bad batch")
        // A good batch through the same reducer trains as without one.
        let plain = JEPATrainer(shape: shape, loss: .l2, seed: 0)
        let y = batch(2)
        let a = y.withUnsafeBufferPointer { trainer.computeGradients(patches: $0.baseAddress!, masks: masks) }
        let b = y.withUnsafeBufferPointer { plain.computeGradients(patches: $0.baseAddress!, masks: masks) }
        XCTAssertEqual(a.loss, b.loss)
        XCTAssertEqual(a.gradNorm, b.gradNorm)
    }
}
