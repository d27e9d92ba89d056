import Foundation
import Shards
import XCTest
@testable import Numerics
@testable import Training

/// One full training step against PyTorch (tools/reference/make_step_fixture.py):
/// targets, loss, every gradient, the parameters after AdamW and the target
/// encoder after the EMA.
final class TrainingStepReferenceTests: XCTestCase {
    func relativeError(_ a: UnsafePointer<Float>, _ b: [Double]) -> Double {
        var num = 0.0, den = 1e-30
        for i in 0..<b.count { num = max(num, abs(Double(a[i]) - b[i])); den = max(den, abs(b[i])) }
        return num / den
    }

    func testStepMatchesPyTorch() throws {
        let url = try XCTUnwrap(Bundle.module.url(forResource: "ijepa_step", withExtension: "h5", subdirectory: "Fixtures"))
        let f = try HDF5File(path: url.path)
        let shape = JEPAShape(channels: try f.intAttribute("C"), patchSize: try f.intAttribute("p"), gridSize: try f.intAttribute("g"),
                              encoder: ViTConfig(embedDim: try f.intAttribute("E"), depth: try f.intAttribute("L"),
                                                 numHeads: try f.intAttribute("h")),
                              predictorDim: try f.intAttribute("P"), predictorDepth: try f.intAttribute("Lp"))
        let trainer = JEPATrainer(shape: shape, loss: .smoothL1, seed: 0)
        for store in [trainer.encoder.params, trainer.predictor.params] {
            for e in store.entries { store.value(e.offset).update(from: try f.floats("params/\(e.name)"), count: e.count) }
        }
        trainer.targetEncoder.params.copyValues(from: trainer.encoder.params)
        let b = try f.intAttribute("B"), kc = try f.intAttribute("Kc"), m = try f.intAttribute("M"), kt = try f.intAttribute("Kt")
        let masks = MaskBatch(batch: b, contextCount: kc, targetCount: kt, masks: m,
                              context: try f.int32s("input/ctx_idx"), targets: try f.int32s("input/tgt_idx"))
        let patches = try f.floats("input/patches")

        let r = patches.withUnsafeBufferPointer { trainer.computeGradients(patches: $0.baseAddress!, masks: masks) }
        let refLoss = try f.doubles("output/loss")[0]
        XCTAssertEqual(r.loss, refLoss, accuracy: 1e-4 * refLoss)
        XCTAssertLessThan(relativeError(trainer.targets.pointer, try f.doubles("output/targets")), 1e-4, "targets")
        var worst = 0.0
        for store in [trainer.encoder.params, trainer.predictor.params] {
            for e in store.entries {
                let ref = try f.doubles("grads/\(e.name)"), scale = ref.map(abs).max()!
                for i in 0..<e.count {
                    // Absolute per tensor: key-bias gradients are exactly zero.
                    XCTAssertEqual(Double(store.grad(e.offset)[i]), ref[i], accuracy: 1e-4 * scale, e.name)
                }
                worst = max(worst, relativeError(store.grad(e.offset), ref))
            }
        }
        print("largest relative gradient error of the training step vs PyTorch: \(worst)")

        // The update from the reference gradients (a first AdamW step is
        // ≈ −lr·sign(g), so float32 round-off on a near-zero gradient would
        // otherwise flip a sign and move a weight by 2·lr).
        for store in [trainer.encoder.params, trainer.predictor.params] {
            for e in store.entries {
                let g = try f.doubles("grads/\(e.name)").map(Float.init)
                store.grad(e.offset).update(from: g, count: e.count)
            }
        }
        let lr = try f.doubleAttribute("lr"), wd = try f.doubleAttribute("weight_decay")
        trainer.encoderOptimizer.update(lr: lr, weightDecay: wd)
        trainer.predictorOptimizer.update(lr: lr, weightDecay: wd)
        EMA.update(target: trainer.targetEncoder.params, online: trainer.encoder.params,
                   momentum: try f.doubleAttribute("momentum"))
        for store in [trainer.encoder.params, trainer.predictor.params] {
            for e in store.entries {
                let ref = try f.doubles("after_step/\(e.name)")
                for i in 0..<e.count { XCTAssertEqual(Double(store.value(e.offset)[i]), ref[i], accuracy: 2e-6, e.name) }
            }
        }
        for e in trainer.targetEncoder.params.entries {
            let ref = try f.doubles("target_after_ema/\(e.name)")
            for i in 0..<e.count {
                XCTAssertEqual(Double(trainer.targetEncoder.params.value(e.offset)[i]), ref[i], accuracy: 2e-6, e.name)
            }
        }
    }
}
