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

    /// A stack whose last block keeps only each sequence's last rows gives
    /// the full stack's values at those rows and the gradients (parameters
    /// and input) the full stack gets when the other rows' outputs get none;
    /// and its own backward matches finite differences.
    func testBlocksKeepingLastRowsEqualFullBlocksReadAtThoseRows() {
        // Head width 16: the fused attention kernel.
        let cfg = ViTConfig(embedDim: 16, depth: 2, numHeads: 1, mlpRatio: 2)
        let b = 3, t = 7, q = 3, c = 16
        let x = Vec(GC.random(b * t * c, seed: 41)), g = GC.random(b * q * c, seed: 42)
        var gFull = [Float](repeating: 0, count: b * t * c)
        for s in 0..<b { for i in 0..<(q * c) { gFull[(s * t + t - q) * c + i] = g[s * q * c + i] } }
        var outputs: [[Float]] = [], inputGrads: [[Float]] = [], paramGrads: [[Float]] = []
        for keep in [nil, q] {
            let store = ParameterStore()
            let blocks = TransformerBlocks(config: cfg, prefix: "blocks", store: store)
            store.allocate()
            Self.randomize(store, seed: 43)
            let y = blocks.forward(x.p, batch: b, tokens: t, outputRows: keep)
            let rows = keep ?? t
            var kept = [Float]()
            for s in 0..<b { kept += Array(UnsafeBufferPointer(start: y + (s * rows + rows - q) * c, count: q * c)) }
            outputs.append(kept)
            store.zeroGrads()
            let dx = Vec(zeros: b * t * c)
            for (i, v) in (keep == nil ? gFull : g).enumerated() { dx.p[i] = v }
            blocks.backward(dx.p)
            inputGrads.append(dx.array)
            paramGrads.append(store.entries.flatMap { Array(UnsafeBufferPointer(start: store.grad($0.offset), count: $0.count)) })
            if keep != nil {
                func loss() -> Double { GC.dot(blocks.forward(x.p, batch: b, tokens: t, outputRows: q), g) }
                XCTAssertLessThan(GC.worst(x.p, count: x.count, analytic: dx.p, loss: loss), 1, "input")
                for e in store.entries {
                    let w = GC.worst(store.value(e.offset), count: e.count, analytic: store.grad(e.offset), samples: 8,
                                     loss: loss)
                    XCTAssertLessThan(w, 1, e.name)
                }
            }
        }
        for (name, pair) in [("output", outputs), ("input gradient", inputGrads), ("parameter gradients", paramGrads)] {
            let worst = zip(pair[0], pair[1]).map { abs($0 - $1) / max(1, abs($0)) }.max() ?? .infinity
            XCTAssertLessThan(worst, 1e-5, name)
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
