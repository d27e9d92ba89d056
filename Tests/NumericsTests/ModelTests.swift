import XCTest
@testable import Numerics
import Random

final class ModelTests: XCTestCase {
    let shape = JEPAShape(channels: 1, patchSize: 4, gridSize: 7, encoder: ViTConfig(embedDim: 48, depth: 3, numHeads: 3),
                          predictorDim: 24, predictorDepth: 2)

    func testParameterNamesAndShapesFollowTheOfficialStateDict() {
        let enc = VisionTransformer(shape: shape), pred = Predictor(shape: shape)
        let names = enc.params.entries.map(\.name)
        XCTAssertEqual(names.first, "patch_embed.proj.weight")
        XCTAssertEqual(enc.params.entry("patch_embed.proj.weight")?.shape, [48, 1, 4, 4])
        XCTAssertEqual(enc.params.entry("blocks.2.attn.qkv.weight")?.shape, [144, 48])
        XCTAssertEqual(enc.params.entry("blocks.0.mlp.fc1.weight")?.shape, [192, 48])
        XCTAssertEqual(names.last, "norm.bias")
        XCTAssertEqual(names.count, 2 + 12 * 3 + 2)
        XCTAssertEqual(pred.params.entry("mask_token")?.shape, [1, 1, 24])
        XCTAssertEqual(pred.params.entry("predictor_embed.weight")?.shape, [24, 48])
        XCTAssertEqual(pred.params.entry("predictor_proj.weight")?.shape, [48, 24])
        XCTAssertEqual(pred.params.entry("predictor_blocks.1.mlp.fc2.bias")?.shape, [24])
    }

    func testInitialisationIsSeededAndFollowsTheOfficialScheme() {
        let a = VisionTransformer(shape: shape), b = VisionTransformer(shape: shape), c = VisionTransformer(shape: shape)
        a.initialize(seed: 7)
        b.initialize(seed: 7)
        c.initialize(seed: 8)
        let n = a.params.count
        XCTAssertTrue((0..<n).allSatisfy { a.params.values[$0] == b.params.values[$0] }, "same seed, same weights")
        XCTAssertFalse((0..<n).allSatisfy { a.params.values[$0] == c.params.values[$0] })
        func stats(_ name: String) -> (mean: Double, std: Double, count: Int) {
            let e = a.params.entry(name)!
            let v = (0..<e.count).map { Double(a.params.value(e.offset)[$0]) }
            let m = v.reduce(0, +) / Double(v.count)
            return (m, (v.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(v.count)).squareRoot(), v.count)
        }
        XCTAssertEqual(stats("blocks.0.attn.qkv.weight").std, 0.02, accuracy: 0.002)
        XCTAssertEqual(stats("patch_embed.proj.weight").std, 0.02, accuracy: 0.003)
        // Residual projections of layer l (1-based) are divided by sqrt(2l).
        XCTAssertEqual(stats("blocks.0.attn.proj.weight").std, 0.02 / 2.0.squareRoot(), accuracy: 0.002)
        XCTAssertEqual(stats("blocks.2.mlp.fc2.weight").std, 0.02 / 6.0.squareRoot(), accuracy: 0.001)
        XCTAssertEqual(stats("blocks.1.norm1.weight").mean, 1)
        XCTAssertEqual(stats("blocks.1.norm1.weight").std, 0)
        XCTAssertEqual(stats("blocks.1.attn.qkv.bias").std, 0)
        XCTAssertEqual(stats("blocks.1.attn.qkv.bias").mean, 0)
    }

    func testNoAllocationAfterWarmUp() {
        let enc = VisionTransformer(shape: shape), pred = Predictor(shape: shape)
        enc.initialize(seed: 1)
        pred.initialize(seed: 2)
        let b = 3, kc = 10, m = 4, kt = 5
        var rng = SeededGenerator(seed: 4)
        let patches = (0..<(b * 49 * 16)).map { _ in Float(rng.normal()) }
        let ctx = (0..<(b * kc)).map { Int32($0 % 49) }, tgt = (0..<(m * b * kt)).map { Int32(($0 * 7) % 49) }
        let g = [Float](repeating: 0.01, count: m * b * kt * 48)
        func step() {
            let c = enc.forward(patches: patches, batch: b, indices: ctx, count: kc)
            pred.forward(context: c, batch: b, contextIndices: ctx, contextCount: kc, targetIndices: tgt, masks: m, targetCount: kt)
            enc.backward(pred.backward(g))
        }
        func buffers() -> [UnsafeMutablePointer<Float>] {
            [enc.tokensIn, enc.x0, enc.out, enc.dx, pred.x0, pred.normed, pred.dx, pred.dContext].map(\.pointer)
                + (enc.blocks.acts + pred.blocks.acts).flatMap { [$0.qkv, $0.probs, $0.fc1, $0.out].map(\.pointer) }
                + [enc.blocks.dHidden, enc.blocks.dQkv, pred.blocks.dHidden, pred.blocks.attScratch].map(\.pointer)
        }
        step()
        let before = buffers()
        step()
        step()
        XCTAssertEqual(buffers(), before, "activation and scratch buffers are reused, not reallocated")
    }
}

extension ModelTests {
    func testPredictorKeepsTheOfficialMLPRatio() {
        // vit_giant's 48/11 applies to the encoder only.
        let s = JEPAShape(channels: 3, patchSize: 14, gridSize: 16, encoder: ViTConfig(embedDim: 1408, depth: 40, numHeads: 16, mlpRatio: 48.0 / 11.0),
                          predictorDim: 384, predictorDepth: 1)
        XCTAssertEqual(s.predictor.hiddenDim, 1536)
    }
}
