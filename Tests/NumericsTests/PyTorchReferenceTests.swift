import Foundation
import Shards
import XCTest
@testable import Numerics

/// The whole model against PyTorch: tools/reference/make_fixture.py builds
/// the same encoder and predictor in PyTorch (float64), and the committed
/// fixture holds its inputs, weights, outputs, loss and every gradient.
final class PyTorchReferenceTests: XCTestCase {
    static let tolerance = 1e-4

    var fixture: HDF5File!
    var shape: JEPAShape!

    override func setUpWithError() throws {
        let url = try XCTUnwrap(Bundle.module.url(forResource: "ijepa_tiny", withExtension: "h5", subdirectory: "Fixtures"))
        fixture = try HDF5File(path: url.path)
        let f = fixture!
        shape = JEPAShape(channels: try f.intAttribute("C"), patchSize: try f.intAttribute("p"), gridSize: try f.intAttribute("g"),
                          encoder: ViTConfig(embedDim: try f.intAttribute("E"), depth: try f.intAttribute("L"),
                                             numHeads: try f.intAttribute("h"), mlpRatio: 4),
                          predictorDim: try f.intAttribute("P"), predictorDepth: try f.intAttribute("Lp"))
        XCTAssertEqual(shape.encoder.hiddenDim, try f.intAttribute("Hd"))
    }

    /// max |a − b| / max |b| over a tensor.
    func relativeError(_ a: UnsafePointer<Float>, _ b: [Double]) -> Double {
        var num = 0.0, den = 1e-30
        for i in 0..<b.count {
            num = max(num, abs(Double(a[i]) - b[i]))
            den = max(den, abs(b[i]))
        }
        return num / den
    }

    func load(_ store: ParameterStore) throws {
        for e in store.entries {
            let name = "params/\(e.name)"
            XCTAssertTrue(fixture.exists(name), "fixture lacks \(e.name)")
            XCTAssertEqual(try fixture.shape(name), e.shape, e.name)
            let v = try fixture.floats(name)
            store.value(e.offset).update(from: v, count: e.count)
        }
    }

    func testPositionalEmbeddingsMatch() throws {
        let enc = VisionTransformer(shape: shape), pred = Predictor(shape: shape)
        let a = try fixture.doubles("pos_embed"), b = try fixture.doubles("predictor_pos_embed")
        enc.positions.withUnsafeBufferPointer { XCTAssertLessThan(relativeError($0.baseAddress!, a), 1e-6) }
        pred.positions.withUnsafeBufferPointer { XCTAssertLessThan(relativeError($0.baseAddress!, b), 1e-6) }
    }

    func testForwardAndEveryGradientMatchPyTorch() throws {
        let enc = VisionTransformer(shape: shape), pred = Predictor(shape: shape)
        try load(enc.params)
        try load(pred.params)
        // Every parameter in the fixture is one of ours, and vice versa.
        let ours = Set((enc.params.entries + pred.params.entries).map(\.name))
        XCTAssertEqual(ours.count, enc.params.entries.count + pred.params.entries.count)
        let b = try fixture.intAttribute("B"), kc = try fixture.intAttribute("Kc")
        let m = try fixture.intAttribute("M"), kt = try fixture.intAttribute("Kt"), n = shape.numPatches
        let patches = try fixture.floats("input/patches"), ctx = try fixture.int32s("input/ctx_idx")
        let tgt = try fixture.int32s("input/tgt_idx"), g = try fixture.floats("input/grad_out")

        // The encoder on every token (the target encoder's view).
        let full = enc.forward(patches: patches, batch: b, indices: nil, count: n)
        XCTAssertLessThan(relativeError(full, try fixture.doubles("output/enc_full")), Self.tolerance, "enc_full")

        // Context encoder -> predictor -> loss Σ pred ⊙ G.
        let c = enc.forward(patches: patches, batch: b, indices: ctx, count: kc)
        XCTAssertLessThan(relativeError(c, try fixture.doubles("output/enc_ctx")), Self.tolerance, "enc_ctx")
        let p = pred.forward(context: c, batch: b, contextIndices: ctx, contextCount: kc,
                             targetIndices: tgt, masks: m, targetCount: kt)
        XCTAssertLessThan(relativeError(p, try fixture.doubles("output/pred")), Self.tolerance, "pred")
        let loss = GradientCheck.dot(p, g), refLoss = try fixture.doubles("output/loss")[0]
        XCTAssertEqual(loss, refLoss, accuracy: Self.tolerance * abs(refLoss))

        enc.params.zeroGrads()
        pred.params.zeroGrads()
        enc.backward(pred.backward(g))
        var worst = (0.0, "")
        for store in [enc.params, pred.params] {
            for e in store.entries {
                let ref = try fixture.doubles("grads/\(e.name)")
                let err = relativeError(store.grad(e.offset), ref)
                if err > worst.0 { worst = (err, e.name) }
                if e.name.hasSuffix("attn.qkv.bias") {
                    // The key-bias gradient is exactly zero (softmax is
                    // shift-invariant): compare all of it absolutely.
                    let scale = ref.map(abs).max()!
                    for i in 0..<e.count { XCTAssertEqual(Double(store.grad(e.offset)[i]), ref[i], accuracy: Self.tolerance * scale, e.name) }
                } else {
                    XCTAssertLessThan(err, Self.tolerance, e.name)
                }
            }
        }
        print("largest relative gradient error vs PyTorch: \(worst.0) (\(worst.1))")
    }
}
