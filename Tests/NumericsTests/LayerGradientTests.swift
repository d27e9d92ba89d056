import XCTest
@testable import Numerics

/// Finite-difference checks of every layer's backward.
final class LayerGradientTests: XCTestCase {
    typealias GC = GradientCheck

    func testLinearBackwardMatchesFiniteDifferences() {
        let m = 5, i = 7, o = 4
        let x = Vec(GC.random(m * i, seed: 1)), w = Vec(GC.random(o * i, seed: 2, std: 0.5)), b = Vec(GC.random(o, seed: 3))
        let g = GC.random(m * o, seed: 4)
        let y = Vec(zeros: m * o), dx = Vec(zeros: m * i), dw = Vec(zeros: o * i), db = Vec(zeros: o)
        func loss() -> Double {
            Linear.forward(x.p, rows: m, in: i, out: o, weight: w.p, bias: b.p, into: y.p)
            return GC.dot(y.p, g)
        }
        _ = loss()
        Linear.backward(g, x: x.p, rows: m, in: i, out: o, weight: w.p, dWeight: dw.p, dBias: db.p, dx: dx.p)
        XCTAssertLessThan(GC.worst(x.p, count: x.count, analytic: dx.p, loss: loss), 1)
        XCTAssertLessThan(GC.worst(w.p, count: w.count, analytic: dw.p, loss: loss), 1)
        XCTAssertLessThan(GC.worst(b.p, count: b.count, analytic: db.p, loss: loss), 1)
    }

    /// LayerNorm over `rows` x `c` with loss Σ y ⊙ g; returns the loss and
    /// the analytic gradients at the current values.
    struct LN {
        let rows: Int, c: Int
        let x: Vec, w: Vec?, b: Vec?
        let g: [Float]
        let y: Vec, mean: Vec, rstd: Vec

        init(rows: Int, c: Int, affine: Bool, seed: UInt64) {
            self.rows = rows
            self.c = c
            x = Vec(GC.random(rows * c, seed: seed, std: 2, mean: 0.5))
            w = affine ? Vec(GC.random(c, seed: seed + 1, std: 0.3, mean: 1)) : nil
            b = affine ? Vec(GC.random(c, seed: seed + 2)) : nil
            g = GC.random(rows * c, seed: seed + 3)
            y = Vec(zeros: rows * c)
            mean = Vec(zeros: rows)
            rstd = Vec(zeros: rows)
        }

        func loss() -> Double {
            LayerNorm.forward(x.p, rows: rows, width: c, weight: w?.p, bias: b?.p, mean: mean.p, rstd: rstd.p, into: y.p)
            return GC.dot(y.p, g)
        }

        func gradients() -> (dx: Vec, dw: Vec, db: Vec) {
            _ = loss()
            let dx = Vec(zeros: rows * c), dw = Vec(zeros: c), db = Vec(zeros: c)
            LayerNorm.backward(g, x: x.p, rows: rows, width: c, weight: w?.p, mean: mean.p, rstd: rstd.p,
                               dWeight: w == nil ? nil : dw.p, dBias: b == nil ? nil : db.p, dx: dx.p,
                               accumulate: false, scratch: FloatBuffer())
            return (dx, dw, db)
        }
    }

    func testLayerNormBackwardMatchesFiniteDifferences() {
        let ln = LN(rows: 6, c: 10, affine: true, seed: 5)
        let (dx, dw, db) = ln.gradients()
        XCTAssertLessThan(GC.worst(ln.x.p, count: ln.x.count, analytic: dx.p, loss: ln.loss), 1)
        XCTAssertLessThan(GC.worst(ln.w!.p, count: 10, analytic: dw.p, loss: ln.loss), 1)
        XCTAssertLessThan(GC.worst(ln.b!.p, count: 10, analytic: db.p, loss: ln.loss), 1)
        // Without affine parameters (the target-feature normalisation).
        let plain = LN(rows: 6, c: 10, affine: false, seed: 9)
        let plainDx = plain.gradients().dx
        XCTAssertLessThan(GC.worst(plain.x.p, count: plain.x.count, analytic: plainDx.p, loss: plain.loss), 1)
    }

    /// The checker is strict enough to fail a backward with a missing term,
    /// a wrong sign or a 10% error.
    func testCheckerCatchesBrokenGradients() {
        let ln = LN(rows: 4, c: 8, affine: true, seed: 12)
        let dx = ln.gradients().dx.array
        _ = ln.loss()
        // Missing terms: dx = dy·w·rstd only (forgets the mean and variance paths).
        let naive = Vec((0..<(4 * 8)).map { ln.g[$0] * ln.w![$0 % 8] * ln.rstd[$0 / 8] })
        let flipped = Vec(dx.map { -$0 }), scaled = Vec(dx.map { $0 * 0.9 }), right = Vec(dx)
        XCTAssertGreaterThan(GC.worst(ln.x.p, count: 32, analytic: naive.p, loss: ln.loss), 1)
        XCTAssertGreaterThan(GC.worst(ln.x.p, count: 32, analytic: flipped.p, loss: ln.loss), 1)
        XCTAssertGreaterThan(GC.worst(ln.x.p, count: 32, analytic: scaled.p, loss: ln.loss), 1)
        XCTAssertLessThan(GC.worst(ln.x.p, count: 32, analytic: right.p, loss: ln.loss), 1)
        withExtendedLifetime((naive, flipped, scaled, right)) {}
    }

    func testGELU() {
        let x = Vec(GC.random(40, seed: 13, std: 2)), y = Vec(zeros: 40), dx = Vec(zeros: 40)
        let g = GC.random(40, seed: 14)
        func loss() -> Double { GELU.forward(x.p, count: 40, into: y.p); return GC.dot(y.p, g) }
        GELU.backward(g, x: x.p, count: 40, into: dx.p)
        XCTAssertLessThan(GC.worst(x.p, count: 40, analytic: dx.p, samples: 40, loss: loss), 1)
        // Exact erf GELU, not the tanh approximation: GELU(1) = 0.8413447.
        let one = Vec([1]), out = Vec(zeros: 1)
        GELU.forward(one.p, count: 1, into: out.p)
        XCTAssertEqual(out[0], 0.8413447, accuracy: 1e-6)
        withExtendedLifetime(one) {}
    }

    /// Finite differences through one attention kernel on a small batch.
    private func checkAttentionGradient(_ kernel: Attention.Kernel, tokens t: Int, width c: Int, heads h: Int,
                                        file: StaticString = #filePath, line: UInt = #line) {
        let b = 2
        let qkv = Vec(GC.random(b * t * 3 * c, seed: 15))
        let g = GC.random(b * t * c, seed: 16)
        let out = Vec(zeros: b * t * c), probs = Vec(zeros: b * h * t * t), dqkv = Vec(zeros: qkv.count)
        let scratch = FloatBuffer()
        func loss() -> Double {
            Attention.forward(qkv: qkv.p, batch: b, tokens: t, width: c, heads: h, probs: probs.p, into: out.p,
                              scratch: scratch, kernel: kernel)
            return GC.dot(out.p, g)
        }
        _ = loss()
        Attention.backward(dOut: g, qkv: qkv.p, probs: probs.p, batch: b, tokens: t, width: c, heads: h, dqkv: dqkv.p,
                           scratch: scratch, kernel: kernel)
        XCTAssertLessThan(GC.worst(qkv.p, count: qkv.count, analytic: dqkv.p, samples: 60, loss: loss), 1,
                          file: file, line: line)
        // Rows of the attention matrix are distributions.
        let pr = probs.array
        for r in 0..<(b * h * t) {
            XCTAssertEqual(pr[(r * t)..<((r + 1) * t)].reduce(0, +), 1, accuracy: 1e-5, file: file, line: line)
        }
    }

    func testAttentionGEMMKernelGradientMatchesFiniteDifferences() {
        checkAttentionGradient(.gemm, tokens: 5, width: 8, heads: 2)
    }

    func testFusedAttentionGradientMatchesFiniteDifferences() {
        // hd 16, and 17 tokens: one full 16-column tile plus a padded one.
        checkAttentionGradient(.fused, tokens: 5, width: 32, heads: 2)
        checkAttentionGradient(.fused, tokens: 17, width: 32, heads: 2)
        // Past the 64 tokens of the 7x7 grid's era: 5 column tiles.
        checkAttentionGradient(.fused, tokens: 70, width: 32, heads: 2)
    }

    /// The fused kernel and the GEMM path agree, forward and backward, on the
    /// default model's shapes (encoder: 49 tokens, hd 64; predictor: hd 32)
    /// and the limits (1 and 64 tokens, hd 80 in two column tiles), and the
    /// long sequences of 14x14 and 16x16 grids (196 and 256 tokens).
    func testFusedAttentionEqualsGEMMPathOnModelShapes() {
        for (t, c, h) in [(49, 192, 3), (17, 96, 3), (27, 96, 3), (7, 192, 3), (64, 64, 1), (1, 32, 2), (33, 160, 2),
                          (196, 96, 3), (256, 64, 2)] {
            let b = t > 64 ? 2 : 3
            let qkv = GC.random(b * t * 3 * c, seed: UInt64(t)), dOut = GC.random(b * t * c, seed: UInt64(t + 1))
            var results: [[Float]] = []
            for kernel in [Attention.Kernel.fused, .gemm] {
                let x = Vec(qkv), out = Vec(zeros: b * t * c), probs = Vec(zeros: b * h * t * t)
                let dqkv = Vec(zeros: qkv.count), scratch = FloatBuffer()
                Attention.forward(qkv: x.p, batch: b, tokens: t, width: c, heads: h, probs: probs.p, into: out.p,
                                  scratch: scratch, kernel: kernel)
                Attention.backward(dOut: dOut, qkv: x.p, probs: probs.p, batch: b, tokens: t, width: c, heads: h,
                                   dqkv: dqkv.p, scratch: scratch, kernel: kernel)
                results.append(out.array + probs.array + dqkv.array)
                // Without the softmax matrix (no backward): the same outputs, bit for bit.
                let alone = Vec(zeros: b * t * c)
                Attention.forward(qkv: x.p, batch: b, tokens: t, width: c, heads: h, probs: nil, into: alone.p,
                                  scratch: scratch, kernel: kernel)
                XCTAssertEqual(alone.array, out.array, "\(kernel) without probs, T \(t)")
            }
            let worst = zip(results[0], results[1]).map { abs($0 - $1) / max(1, abs($1)) }.max() ?? 0
            XCTAssertLessThan(worst, 1e-5, "T \(t), width \(c), heads \(h)")
        }
        XCTAssertTrue(Attention.fusedApplies(tokens: 64, headWidth: 64))
        XCTAssertFalse(Attention.fusedApplies(tokens: 65, headWidth: 64), "longer sequences: per-head GEMMs measured faster")
        XCTAssertTrue(Attention.fusedApplies(tokens: 100, headWidth: 32, storingProbs: false), "no softmax matrix: faster to 100")
        XCTAssertFalse(Attention.fusedApplies(tokens: 196, headWidth: 32, storingProbs: false))
        XCTAssertTrue(Attention.fusedSupports(headWidth: 64))
        XCTAssertFalse(Attention.fusedApplies(tokens: 49, headWidth: 24))
    }

    /// Queries on only the last rows of each sequence (the predictor's last
    /// block) give exactly the full attention's values at those rows, and the
    /// gradient of the full attention when the other rows' outputs get none:
    /// both kernels, an encoder-like and a predictor-like shape.
    func testAttentionOnLastRowsEqualsFullAttentionReadAtThoseRows() {
        for kernel in [Attention.Kernel.fused, .gemm] {
            for (t, q, c, h) in [(27, 8, 96, 3), (17, 1, 32, 2), (9, 9, 32, 1)] {
                let b = 2, skip = t - q
                let qkv = Vec(GC.random(b * t * 3 * c, seed: UInt64(t * 7 + q)))
                let dKept = GC.random(b * q * c, seed: UInt64(t + q))
                // Full attention, with the gradient of the dropped rows zero.
                var dFull = [Float](repeating: 0, count: b * t * c)
                for s in 0..<b {
                    for i in 0..<(q * c) { dFull[(s * t + skip) * c + i] = dKept[s * q * c + i] }
                }
                let out = Vec(zeros: b * t * c), probs = Vec(zeros: b * h * t * t), dqkv = Vec(zeros: qkv.count)
                let scratch = FloatBuffer()
                Attention.forward(qkv: qkv.p, batch: b, tokens: t, width: c, heads: h, probs: probs.p, into: out.p,
                                  scratch: scratch, kernel: kernel)
                Attention.backward(dOut: dFull, qkv: qkv.p, probs: probs.p, batch: b, tokens: t, width: c, heads: h,
                                   dqkv: dqkv.p, scratch: scratch, kernel: kernel)
                let kOut = Vec(zeros: b * q * c), kProbs = Vec(zeros: b * h * q * t), kAlone = Vec(zeros: b * q * c)
                Attention.forward(qkv: qkv.p, batch: b, tokens: t, queryRows: q, width: c, heads: h, probs: nil,
                                  into: kAlone.p, scratch: scratch, kernel: kernel)
                let kDqkv = Vec(GC.random(qkv.count, seed: 99))  // garbage: every element must be written
                Attention.forward(qkv: qkv.p, batch: b, tokens: t, queryRows: q, width: c, heads: h, probs: kProbs.p,
                                  into: kOut.p, scratch: scratch, kernel: kernel)
                Attention.backward(dOut: dKept, qkv: qkv.p, probs: kProbs.p, batch: b, tokens: t, queryRows: q,
                                   width: c, heads: h, dqkv: kDqkv.p, scratch: scratch, kernel: kernel)
                var worst: Float = 0
                for s in 0..<b {
                    for i in 0..<(q * c) { worst = max(worst, abs(kOut[s * q * c + i] - out[(s * t + skip) * c + i])) }
                    for head in 0..<h {
                        for i in 0..<q {
                            for j in 0..<t {
                                let full = probs[((s * h + head) * t + skip + i) * t + j]
                                worst = max(worst, abs(kProbs[((s * h + head) * q + i) * t + j] - full))
                            }
                        }
                    }
                }
                for i in 0..<qkv.count { worst = max(worst, abs(kDqkv[i] - dqkv[i]) / max(1, abs(dqkv[i]))) }
                XCTAssertLessThan(worst, 1e-5, "\(kernel) T \(t), last \(q) rows, width \(c), heads \(h)")
                XCTAssertEqual(kAlone.array, kOut.array, "\(kernel) last rows without probs")
            }
        }
    }

    func testRowGathersMatchTheirDefinitions() {
        let width = 3, samples = 2, sourceRows = 4, count = 3
        let src = GC.random(samples * sourceRows * width, seed: 17), base = GC.random(samples * count * width, seed: 18)
        let idx: [Int32] = [3, 0, 3, 1, 2, 1]  // (samples, count), a repeated index in each sample
        var perSample = [Float](repeating: 0, count: samples * count * width)
        Rows.gather(src, width: width, samples: samples, sourceRows: sourceRows, indices: idx, count: count, into: &perSample)
        var shared = [Float](repeating: 0, count: samples * count * width), added = base
        Rows.gather(src, width: width, indices: idx, count: samples * count, into: &shared)
        Rows.gatherAdd(src, width: width, indices: idx, count: samples * count, into: &added)
        for s in 0..<samples {
            for j in 0..<count {
                for c in 0..<width {
                    let o = (s * count + j) * width + c, i = Int(idx[s * count + j])
                    XCTAssertEqual(perSample[o], src[(s * sourceRows + i) * width + c])
                    XCTAssertEqual(shared[o], src[i * width + c])
                    XCTAssertEqual(added[o], base[o] + src[i * width + c])
                }
            }
        }
    }
}
