import XCTest
@testable import Numerics
import Random

/// Finite differences through a whole transformer block and the full model.
final class BlockGradientTests: XCTestCase {
    typealias GC = GradientCheck

    /// Parameters large enough that every term matters.
    static func randomize(_ store: ParameterStore, seed: UInt64) {
        var rng = SeededGenerator(seed: seed)
        for e in store.entries {
            let p = store.value(e.offset)
            let isNorm = e.name.contains("norm") && e.name.hasSuffix(".weight")
            for i in 0..<e.count { p[i] = Float((isNorm ? 1 : 0) + (e.name.hasSuffix("bias") ? 0.1 : 0.3) * rng.normal()) }
        }
    }

    func testTransformerBlockBackwardMatchesFiniteDifferences() {
        let cfg = ViTConfig(embedDim: 8, depth: 1, numHeads: 2, mlpRatio: 2)
        let store = ParameterStore()
        let blocks = TransformerBlocks(config: cfg, prefix: "blocks", store: store)
        store.allocate()
        Self.randomize(store, seed: 20)
        let b = 2, t = 4, c = 8
        let x = Vec(GC.random(b * t * c, seed: 21))
        let g = GC.random(b * t * c, seed: 22)
        func loss() -> Double { GC.dot(blocks.forward(x.p, batch: b, tokens: t), g) }
        _ = loss()
        store.zeroGrads()
        let dx = Vec(g)
        blocks.backward(dx.p)
        XCTAssertLessThan(GC.worst(x.p, count: x.count, analytic: dx.p, loss: loss), 1, "input")
        for e in store.entries {
            let w = GC.worst(store.value(e.offset), count: e.count, analytic: store.grad(e.offset), samples: 8, loss: loss)
            XCTAssertLessThan(w, 1, e.name)
        }
    }

    func testEncoderAndPredictorEndToEnd() {
        let shape = JEPAShape(channels: 1, patchSize: 2, gridSize: 3,
                              encoder: ViTConfig(embedDim: 8, depth: 2, numHeads: 2, mlpRatio: 2),
                              predictorDim: 8, predictorDepth: 1)
        let enc = VisionTransformer(shape: shape), pred = Predictor(shape: shape)
        Self.randomize(enc.params, seed: 30)
        Self.randomize(pred.params, seed: 31)
        let b = 2, kc = 4, m = 2, kt = 2
        let patches = GC.random(b * 9 * 4, seed: 32)
        let ctx: [Int32] = [0, 2, 4, 8, 1, 3, 5, 7], tgt: [Int32] = [1, 3, 0, 2, 6, 7, 8, 4]
        let g = GC.random(m * b * kt * 8, seed: 33)
        func loss() -> Double {
            let c = enc.forward(patches: patches, batch: b, indices: ctx, count: kc)
            return GC.dot(pred.forward(context: c, batch: b, contextIndices: ctx, contextCount: kc,
                                       targetIndices: tgt, masks: m, targetCount: kt), g)
        }
        _ = loss()
        enc.params.zeroGrads()
        pred.params.zeroGrads()
        enc.backward(pred.backward(g))
        for store in [enc.params, pred.params] {
            for e in store.entries {
                let w = GC.worst(store.value(e.offset), count: e.count, analytic: store.grad(e.offset), samples: 6, loss: loss)
                XCTAssertLessThan(w, 1, e.name)
            }
        }
    }
}
