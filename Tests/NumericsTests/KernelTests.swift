import CKernels
import Foundation
import Threads
import XCTest
@testable import Numerics
import Random

/// The vectorised C kernels, the two GEMM backends, the OpenMP work split and
/// the inference-mode forward.
final class KernelTests: XCTestCase {
    func testVectorExpAndNormalCDFMatchLibmToFloatPrecision() {
        var worstExp = 0.0, worstCDF = 0.0
        for i in 0...20000 {
            let x = -87.0 + 175.0 * Double(i) / 20000
            let e = Double(ck_expf(Float(x))), ref = Foundation.exp(Double(Float(x)))
            worstExp = max(worstExp, abs(e - ref) / ref)
        }
        var worstTail = 0.0
        for i in 0...20000 {
            // Φ down to 1e-28 in the lower tail: the erfc form keeps its relative
            // accuracy there (float rounding of x² limits it to ~1e-5 at x = -11).
            let x = -11.0 + 22.0 * Double(i) / 20000
            let xf = Double(Float(x))
            let ref = 0.5 * Foundation.erfc(-xf / 2.0.squareRoot())
            let rel = abs(Double(ck_normal_cdf(Float(x))) - ref) / ref
            if xf >= -5 { worstCDF = max(worstCDF, rel) } else { worstTail = max(worstTail, rel) }
        }
        XCTAssertLessThan(worstExp, 4e-7, "exp relative error")
        XCTAssertLessThan(worstCDF, 3e-6, "Φ relative error for x >= -5 (float rounding of x² dominates)")
        XCTAssertLessThan(worstTail, 2e-5, "Φ relative error in the far lower tail")
    }

    func testGELUMatchesTheExactErfFormula() {
        let n = 1003  // not a multiple of any vector width
        let x = (0..<n).map { Float(-8.0 + 16.0 * Double($0) / Double(n - 1)) }
        var y = [Float](repeating: 0, count: n), dx = [Float](repeating: 0, count: n)
        let dy = [Float](repeating: 1, count: n)
        GELU.forward(x, count: n, into: &y)
        GELU.backward(dy, x: x, count: n, into: &dx)
        for i in 0..<n {
            let v = Double(x[i]), cdf = 0.5 * erfc(-v / 2.0.squareRoot()), pdf = Foundation.exp(-v * v / 2) / (2 * Double.pi).squareRoot()
            XCTAssertEqual(Double(y[i]), v * cdf, accuracy: 2e-6 * max(1, abs(v)), "GELU(\(v))")
            XCTAssertEqual(Double(dx[i]), cdf + v * pdf, accuracy: 2e-6 * max(1, abs(v)), "GELU'(\(v))")
        }
    }

    func testGELUsKeptSlopeGivesTheSameOutputBackwardAndBiasGradientBitForBit() {
        // A training forward leaves GELU's slope in pre; the backward from it
        // (with the bias gradient taken as dx is written) must equal the
        // backward that evaluates the slope at pre + bias, then sums dx.
        var rng = SeededGenerator(seed: 5)
        let rows = 203, c = 45  // several 16 KiB blocks per worker; a partial vector at each row's end
        // Mostly normal values, and every ninth one from -12 to 12 (the tails).
        var pre = [Float](repeating: 0, count: rows * c)
        for i in pre.indices { pre[i] = i % 9 == 0 ? Float(i % 25 - 12) : Float(3 * rng.normal()) }
        let bias = (0..<c).map { _ in Float(rng.normal()) }, dy = (0..<(rows * c)).map { _ in Float(rng.normal()) }
        var biased = pre, kept = pre
        var y = [Float](repeating: 0, count: rows * c), yKept = y
        GELU.biasForward(&biased, bias: bias, rows: rows, width: c, into: &y)
        GELU.biasForward(&kept, bias: bias, rows: rows, width: c, into: &yKept, keepSlope: true)
        XCTAssertEqual(yKept.map(\.bitPattern), y.map(\.bitPattern), "GELU's output")
        var dxFromX = [Float](repeating: 0, count: rows * c), dxFromSlope = dxFromX
        var dbFromX = [Float](repeating: 0.25, count: c), dbFromSlope = dbFromX
        GELU.backward(dy, x: biased, count: rows * c, into: &dxFromX)
        Linear.columnSums(dxFromX, rows: rows, width: c, into: &dbFromX, scratch: FloatBuffer())
        dxFromSlope.withUnsafeMutableBufferPointer { dx in
            dbFromSlope.withUnsafeMutableBufferPointer { db in
                let sums = ColumnSums(into: db.baseAddress!, rows: rows, width: c, scratch: FloatBuffer())
                GELU.backward(dy, slope: kept, rows: rows, width: c, into: dx.baseAddress!, columnSums: sums)
            }
        }
        XCTAssertEqual(dxFromSlope.map(\.bitPattern), dxFromX.map(\.bitPattern), "GELU's backward")
        XCTAssertEqual(dbFromSlope.map(\.bitPattern), dbFromX.map(\.bitPattern), "the bias gradient")
    }

    func testOneDNNAndOpenBLASAgreeOnEveryTransposeAndBeta() {
        var rng = SeededGenerator(seed: 11)
        for (ta, tb, m, n, k) in [(false, true, 37, 29, 53), (false, false, 64, 17, 9), (true, false, 13, 40, 77),
                                  (true, true, 5, 6, 7), (false, true, 300, 96, 192)] {
            let lda = ta ? m : k, ldb = tb ? k : n
            let a = (0..<(m * k)).map { _ in Float(rng.normal()) }, b = (0..<(k * n)).map { _ in Float(rng.normal()) }
            let c0 = (0..<(m * n)).map { _ in Float(rng.normal()) }
            for beta: Float in [0, 1] {
                var c1 = c0, c2 = c0
                GEMM.sgemm(ta, tb, m, n, k, 0.5, a, lda, b, ldb, beta, &c1, n, on: .onednn)
                GEMM.sgemm(ta, tb, m, n, k, 0.5, a, lda, b, ldb, beta, &c2, n, on: .openblas)
                for i in 0..<m {
                    for j in 0..<n {
                        var ref = Double(beta) * Double(c0[i * n + j])
                        for p in 0..<k {
                            let av = ta ? a[p * lda + i] : a[i * lda + p], bv = tb ? b[j * ldb + p] : b[p * ldb + j]
                            ref += 0.5 * Double(av) * Double(bv)
                        }
                        XCTAssertEqual(Double(c1[i * n + j]), ref, accuracy: 1e-4 * (1 + abs(ref)), "oneDNN \(ta)\(tb) \(m)x\(n)x\(k)")
                        XCTAssertEqual(Double(c2[i * n + j]), ref, accuracy: 1e-4 * (1 + abs(ref)), "OpenBLAS \(ta)\(tb) \(m)x\(n)x\(k)")
                    }
                }
            }
        }
    }

    func testRecordingTimesEachGEMMByShapeAndNothingInsideWorkerRegions() {
        let a = [Float](repeating: 1, count: 64 * 64), b = a
        var c = a
        let calls = GEMM.record {
            GEMM.sgemm(false, false, 64, 64, 64, 1, a, 64, b, 64, 0, &c, 64)
            GEMM.sgemm(false, true, 32, 64, 64, 1, a, 64, b, 64, 0, &c, 64)
            GEMM.sgemm(false, true, 32, 64, 64, 1, a, 64, b, 64, 0, &c, 64, precision: .bfloat16)
            GEMM.inParallelRegion = true
            GEMM.sgemm(false, false, 16, 16, 16, 1, a, 16, b, 16, 0, &c, 16)
            GEMM.inParallelRegion = false
        }
        XCTAssertEqual(calls.count, 4)
        let timed = GEMM.recordedSecondsByShape
        XCTAssertEqual(Set(timed.keys), Set(calls.filter { !$0.parallelRegion }), "one entry per shape and precision")
        XCTAssert(timed.values.allSatisfy { $0 > 0 })
        XCTAssertEqual(GEMM.recordedSeconds, timed.values.reduce(0, +), accuracy: 1e-12)
        _ = GEMM.record {}
        XCTAssertEqual(GEMM.recordedSeconds, 0, "a new recording starts at zero")
    }

    func testEveryChunkRunsOnceAlsoInsideAnotherParallelRegion() {
        let outer = 3, inner = 1000
        var hits = [Int32](repeating: 0, count: outer * inner)
        hits.withUnsafeMutableBufferPointer { buf in
            let h = SharedPointer(buf.baseAddress!)
            Parallel.forEach(outer) { o in
                // Nested: a team of one, which must still cover every chunk.
                Parallel.forChunks(inner) { _, range in
                    for i in range { h.base[o * inner + i] += 1 }
                }
            }
        }
        XCTAssertEqual(Set(hits), [1])
        let sums = Parallel.map(257) { $0 * $0 }
        XCTAssertEqual(sums, (0..<257).map { $0 * $0 })
    }

    func testInferenceForwardEqualsTrainingForwardAndKeepsEveryBlockOutput() {
        let shape = JEPAShape(channels: 1, patchSize: 4, gridSize: 5, encoder: ViTConfig(embedDim: 24, depth: 3, numHeads: 2),
                              predictorDim: 8, predictorDepth: 1)
        let a = VisionTransformer(shape: shape), b = VisionTransformer(shape: shape)
        a.initialize(seed: 3)
        b.initialize(seed: 3)
        var rng = SeededGenerator(seed: 4)
        let batch = 3, rows = batch * shape.numPatches, e = 24
        let x = (0..<(rows * shape.patchDim)).map { _ in Float(rng.normal()) }
        let ya = Array(UnsafeBufferPointer(start: a.forward(patches: x, batch: batch, indices: nil, count: shape.numPatches), count: rows * e))
        let yb = Array(UnsafeBufferPointer(start: b.forward(patches: x, batch: batch, indices: nil, count: shape.numPatches,
                                                             training: false), count: rows * e))
        XCTAssertEqual(ya, yb)
        for l in 0..<3 {
            XCTAssertEqual(Array(UnsafeBufferPointer(start: a.blockOutput(l), count: rows * e)),
                           Array(UnsafeBufferPointer(start: b.blockOutput(l), count: rows * e)), "block \(l)")
        }
    }
}
