import CKernels
import Foundation
import XCTest
@testable import Numerics
import Random

/// bfloat16 GEMMs: the rounding, the product against a float64 reference of
/// the rounded operands, native (AVX512_BF16) against the emulation, and a
/// bf16 model against the float32 one.
final class BFloat16Tests: XCTestCase {
    func rounded(_ x: Float) -> Float {
        var src = [x], dst = [Float(0)]
        ck_round_bf16(&src, 1, 1, 1, &dst)
        return dst[0]
    }

    func testRoundingIsToNearestEvenAndKeepsSpecialValues() {
        let ulp = Float(1) / 128  // bf16's spacing in [1, 2): 7 stored fraction bits
        XCTAssertEqual(rounded(1), 1)
        XCTAssertEqual(rounded(1 + ulp / 2), 1, "a tie goes to the even neighbour (1)")
        XCTAssertEqual(rounded(1 + 3 * ulp / 2), 1 + 2 * ulp, "a tie goes to the even neighbour (1 + 2 ulp)")
        XCTAssertEqual(rounded(1 + ulp / 2 + ulp / 64), 1 + ulp, "above the tie rounds up")
        XCTAssertEqual(rounded(-(1 + ulp / 4)), -1)
        XCTAssertEqual(rounded(.infinity), .infinity)
        XCTAssertEqual(rounded(-.infinity), -.infinity)
        XCTAssertTrue(rounded(.nan).isNaN)
        XCTAssertTrue(rounded(Float(bitPattern: 0x7f80_0001)).isNaN, "a NaN whose payload sits in the low bits stays NaN")
        XCTAssertEqual(rounded(.greatestFiniteMagnitude), .infinity, "past bf16's largest finite value")
        XCTAssertEqual(rounded(Float(bitPattern: 0x0001_8000)).bitPattern, 0, "subnormals flush to zero (as VCVTNEPS2BF16)")
        XCTAssertEqual(rounded(-Float.leastNonzeroMagnitude).bitPattern, 0x8000_0000, "... keeping their sign")
        XCTAssertEqual(rounded(.leastNormalMagnitude), .leastNormalMagnitude)
    }

    func testNativeConversionAndEmulationGiveTheSameBits() {
        // Every exponent, random fractions, and the special values, in rows of
        // 37 (a vector tail) read 40 apart: the instruction (where the CPU has
        // it) and the portable code behind the emulation must agree bit for bit.
        var rng = SeededGenerator(seed: 4)
        var src: [Float] = [0, -0, .infinity, -.infinity, .nan, Float(bitPattern: 0x7f80_0001), Float(bitPattern: 0xffc1_2345),
                            .leastNonzeroMagnitude, -.leastNormalMagnitude, .greatestFiniteMagnitude]
        while src.count < 40 * 300 {
            let bits = UInt32(truncatingIfNeeded: rng.next())
            src.append(Float(bitPattern: bits))
        }
        let rows = 300, cols = 37
        var bits = [UInt16](repeating: 0, count: rows * cols), values = [Float](repeating: 0, count: rows * cols)
        ck_to_bf16(&src, rows, cols, 40, &bits)
        ck_round_bf16(&src, rows, cols, 40, &values)
        for i in 0..<(rows * cols) {
            XCTAssertEqual(UInt32(bits[i]) << 16, values[i].bitPattern, "input \(String(src[i / cols * 40 + i % cols].bitPattern, radix: 16))")
        }
    }

    struct Case {
        let transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float, beta: Float, extraLd: Int
    }

    static let cases = [
        Case(transA: false, transB: true, m: 37, n: 48, k: 65, alpha: 1, beta: 0, extraLd: 0),   // Linear forward
        Case(transA: false, transB: false, m: 37, n: 65, k: 48, alpha: 1, beta: 1, extraLd: 0),  // dx, accumulated
        Case(transA: true, transB: false, m: 48, n: 65, k: 37, alpha: 1, beta: 1, extraLd: 0),   // dW += dyᵀx
        Case(transA: true, transB: true, m: 20, n: 31, k: 17, alpha: 0.5, beta: 0.25, extraLd: 3),
    ]

    /// c = alpha·op(a)·op(b) + beta·c with the given GEMM, and the float64
    /// products of the bf16-rounded operands (and of |a|·|b|, the error scale).
    func run(_ x: Case, seed: UInt64, gemm: (UnsafePointer<Float>, Int, UnsafePointer<Float>, Int,
                                             UnsafeMutablePointer<Float>, Int) -> Void) -> (got: [Float], want: [Double], scale: [Double]) {
        var rng = SeededGenerator(seed: seed)
        let (ar, ac) = x.transA ? (x.k, x.m) : (x.m, x.k), (br, bc) = x.transB ? (x.n, x.k) : (x.k, x.n)
        let lda = ac + x.extraLd, ldb = bc + x.extraLd, ldc = x.n + x.extraLd
        let a = (0..<(ar * lda)).map { _ in Float(rng.normal()) }, b = (0..<(br * ldb)).map { _ in Float(rng.normal()) }
        let c0 = (0..<(x.m * ldc)).map { _ in Float(rng.normal()) }
        var c = c0
        a.withUnsafeBufferPointer { pa in b.withUnsafeBufferPointer { pb in c.withUnsafeMutableBufferPointer { pc in
            gemm(pa.baseAddress!, lda, pb.baseAddress!, ldb, pc.baseAddress!, ldc)
        } } }
        var want = [Double](), scale = [Double](), got = [Float]()
        for i in 0..<x.m {
            for j in 0..<x.n {
                var s = 0.0, abs = 0.0
                for p in 0..<x.k {
                    let av = Double(rounded(x.transA ? a[p * lda + i] : a[i * lda + p]))
                    let bv = Double(rounded(x.transB ? b[j * ldb + p] : b[p * ldb + j]))
                    s += av * bv
                    abs += Swift.abs(av * bv)
                }
                want.append(Double(x.alpha) * s + Double(x.beta) * Double(c0[i * ldc + j]))
                scale.append(Double(x.alpha) * abs + Swift.abs(Double(x.beta) * Double(c0[i * ldc + j])))
                got.append(c[i * ldc + j])
            }
        }
        return (got, want, scale)
    }

    func check(route: BFloat16GEMM.Route) {
        for (i, x) in Self.cases.enumerated() {
            let r = run(x, seed: UInt64(i)) { a, lda, b, ldb, c, ldc in
                BFloat16GEMM.gemm(x.transA, x.transB, x.m, x.n, x.k, x.alpha, a, lda, b, ldb, x.beta, c, ldc, route: route)
            }
            for j in r.got.indices {
                // Products of bf16 numbers are exact in float32: only float32 summation error remains.
                XCTAssertLessThanOrEqual(Swift.abs(Double(r.got[j]) - r.want[j]), 1e-6 * Double(x.k) * r.scale[j] + 1e-30,
                                         "\(route) case \(i) element \(j)")
            }
        }
    }

    func testEmulatedGEMMMultipliesTheRoundedOperandsExactly() {
        check(route: .emulated)
    }

    func testNativeGEMMMultipliesTheRoundedOperandsExactly() throws {
        try XCTSkipUnless(BFloat16GEMM.nativeAvailable, "this CPU has no AVX512_BF16 (the emulation is tested alone)")
        check(route: .native)
    }

    func testTheArithmeticFingerprintIsFixedAndTheEmulationsIsTheFloat32GEMMs() {
        let emulated = BFloat16Arithmetic.check(route: .emulated)
        XCTAssertEqual(emulated.bfloat16Fingerprint, emulated.float32Fingerprint,
                       "operands already bf16: the emulation is the float32 GEMM on the same numbers")
        XCTAssertEqual(BFloat16Arithmetic.check(route: .emulated).bfloat16Fingerprint, emulated.bfloat16Fingerprint)
        XCTAssertEqual(BFloat16Arithmetic.fingerprint(.float32), String(format: "%016llx", emulated.float32Fingerprint),
                       "the manifests' fingerprint is the check's")
        XCTAssertEqual(BFloat16Arithmetic.fingerprint(.bfloat16, route: .emulated), BFloat16Arithmetic.fingerprint(.float32))
        XCTAssertEqual(emulated.outputs, 4 * 96 * 64)
        // The two models part on some sums (else the check could not tell them apart).
        XCTAssertLessThan(emulated.sdmOrder, emulated.outputs)
        XCTAssertLessThan(emulated.oneRoundingPerPair, emulated.outputs)
    }

    func testNativeAndEmulatedAgreeToSummationOrder() throws {
        try XCTSkipUnless(BFloat16GEMM.nativeAvailable, "this CPU has no AVX512_BF16 (the emulation is tested alone)")
        for (i, x) in Self.cases.enumerated() {
            let runs = [BFloat16GEMM.Route.native, .emulated].map { route in
                run(x, seed: UInt64(10 + i)) { a, lda, b, ldb, c, ldc in
                    BFloat16GEMM.gemm(x.transA, x.transB, x.m, x.n, x.k, x.alpha, a, lda, b, ldb, x.beta, c, ldc, route: route)
                }
            }
            for j in runs[0].got.indices {
                XCTAssertLessThanOrEqual(Swift.abs(Double(runs[0].got[j] - runs[1].got[j])), 1e-6 * Double(x.k) * runs[0].scale[j],
                                         "case \(i) element \(j)")
            }
        }
    }

    func testBFloat16GEMMIsWithinBFloat16RoundingOfFloat32() {
        let x = Self.cases[0]
        let f32 = run(x, seed: 3) { a, lda, b, ldb, c, ldc in
            GEMM.sgemm(x.transA, x.transB, x.m, x.n, x.k, x.alpha, a, lda, b, ldb, x.beta, c, ldc)
        }
        let bf16 = run(x, seed: 3) { a, lda, b, ldb, c, ldc in
            GEMM.sgemm(x.transA, x.transB, x.m, x.n, x.k, x.alpha, a, lda, b, ldb, x.beta, c, ldc, precision: .bfloat16)
        }
        var differs = false
        for j in f32.got.indices {
            // Each operand moves by at most half a bf16 ulp (2^-8 relative): a product by ~2^-7.
            XCTAssertLessThanOrEqual(Swift.abs(Double(f32.got[j] - bf16.got[j])), Double(Float(1) / 128) * f32.scale[j] + 1e-6)
            differs = differs || f32.got[j] != bf16.got[j]
        }
        XCTAssertTrue(differs, "bf16 operands change the result somewhere")
    }

    func testLinearBackwardRoundingDyOnceEqualsItsTwoGEMMs() {
        let m = 29, i = 24, o = 40
        var rng = SeededGenerator(seed: 8)
        let dy = (0..<(m * o)).map { _ in Float(rng.normal()) }, x = (0..<(m * i)).map { _ in Float(rng.normal()) }
        let w = (0..<(o * i)).map { _ in Float(rng.normal()) }
        var dw = [Float](repeating: 0.5, count: o * i), db = [Float](repeating: 0, count: o)
        var dx = [Float](repeating: 0.25, count: m * i)
        Linear.backward(dy, x: x, rows: m, in: i, out: o, weight: w, dWeight: &dw, dBias: &db, dx: &dx,
                        accumulateInput: true, precision: .bfloat16)
        var wantW = [Float](repeating: 0.5, count: o * i), wantX = [Float](repeating: 0.25, count: m * i)
        GEMM.sgemm(false, false, m, i, o, 1, dy, o, w, i, 1, &wantX, i, precision: .bfloat16)
        GEMM.sgemm(true, false, o, i, m, 1, dy, o, x, i, 1, &wantW, i, precision: .bfloat16)
        XCTAssertEqual(dx, wantX)
        XCTAssertEqual(dw, wantW)
        for j in 0..<o { XCTAssertEqual(db[j], (0..<m).reduce(Float(0)) { $0 + dy[$1 * o + j] }, accuracy: 1e-4) }
    }

    /// The operand's stored values (bf16 bits, or the emulation's rounded floats) as bytes.
    func contents(_ o: BFloat16GEMM.Operand) -> [UInt8] {
        let bytes = o.rows * o.cols * (o.route == .native ? 2 : 4)
        return Array(UnsafeRawBufferPointer(start: UnsafeRawPointer(o.storage.pointer), count: bytes))
    }

    func testRoundingAnActivationAsItIsWrittenEqualsRoundingItAfter() {
        // 300 rows of 48: produce's tiles of 85 rows end in a partial one.
        let rows = 300, c = 48, h = 4 * c
        var rng = SeededGenerator(seed: 12)
        let x = (0..<(rows * c)).map { _ in Float(rng.normal()) * 3 }
        let w = (0..<c).map { _ in 1 + Float(rng.normal()) / 4 }, b = (0..<c).map { _ in Float(rng.normal()) / 4 }
        let pre = (0..<(rows * h)).map { _ in Float(rng.normal()) }, bias = (0..<h).map { _ in Float(rng.normal()) / 2 }
        let routes: [BFloat16GEMM.Route] = BFloat16GEMM.nativeAvailable ? [.native, .emulated] : [.emulated]
        for route in routes {
            // LayerNorm: rounded as written (with and without the float32 copy) against rounded afterwards.
            var mean = [Float](repeating: 0, count: rows), rstd = mean, y = [Float](repeating: 0, count: rows * c)
            LayerNorm.forward(x, rows: rows, width: c, weight: w, bias: b, mean: &mean, rstd: &rstd, into: &y)
            let after = BFloat16GEMM.Operand(route: route)
            after.load(y, rows: rows, cols: c, ld: c)
            var mean2 = mean.map { _ in Float(0) }, rstd2 = mean2, y2 = y.map { _ in Float(0) }
            for keep in [false, true] {
                let written = BFloat16GEMM.Operand(route: route)
                y2.withUnsafeMutableBufferPointer { out in
                    LayerNorm.forward(x, rows: rows, width: c, weight: w, bias: b, mean: &mean2, rstd: &rstd2,
                                      rounded: written, float32: keep ? out.baseAddress! : nil)
                }
                XCTAssertEqual(contents(written), contents(after), "\(route) LayerNorm, float32 kept: \(keep)")
                XCTAssertEqual(mean2, mean)
                XCTAssertEqual(rstd2, rstd)
            }
            XCTAssertEqual(y2, y, "the float32 copy is LayerNorm's output")
            // GELU after the fc1 bias: the same, and pre gets the bias in both.
            var preA = pre, preB = pre, g = [Float](repeating: 0, count: rows * h)
            GELU.biasForward(&preA, bias: bias, rows: rows, width: h, into: &g)
            let gAfter = BFloat16GEMM.Operand(route: route), gWritten = BFloat16GEMM.Operand(route: route)
            gAfter.load(g, rows: rows, cols: h, ld: h)
            GELU.biasForward(&preB, bias: bias, rows: rows, width: h, rounded: gWritten)
            XCTAssertEqual(contents(gWritten), contents(gAfter), "\(route) GELU")
            XCTAssertEqual(preB, preA)
            // GELU's backward from the slope a training forward keeps: dx
            // rounded as written, and its float32 copy.
            var slope = pre
            GELU.biasForward(&slope, bias: bias, rows: rows, width: h, rounded: gWritten, keepSlope: true)
            XCTAssertEqual(contents(gWritten), contents(gAfter), "\(route) GELU keeping its slope")
            // The bias gradient is taken as dx is written, with the bits of
            // summing the float32 dx after.
            let dy = pre.map { $0 / 2 }
            var dxA = [Float](repeating: 0, count: rows * h), dbA = [Float](repeating: 0.5, count: h), dbB = dbA
            GELU.backward(dy, x: preA, count: rows * h, into: &dxA)
            Linear.columnSums(dxA, rows: rows, width: h, into: &dbA, scratch: FloatBuffer())
            let dAfter = BFloat16GEMM.Operand(route: route), dWritten = BFloat16GEMM.Operand(route: route)
            dAfter.load(dxA, rows: rows, cols: h, ld: h)
            dbB.withUnsafeMutableBufferPointer { db in
                GELU.backward(dy, slope: slope, rows: rows, width: h, rounded: dWritten,
                              columnSums: ColumnSums(into: db.baseAddress!, rows: rows, width: h, scratch: FloatBuffer()))
            }
            XCTAssertEqual(contents(dWritten), contents(dAfter), "\(route) GELU backward")
            XCTAssertEqual(dbB.map(\.bitPattern), dbA.map(\.bitPattern), "\(route) fc1's bias gradient")
        }
    }

    func testALinearLayerOnAKeptOperandEqualsItOnFloat32Input() {
        // Forward and backward of a layer whose input was rounded once (and
        // kept for the weight gradient) give the bits of rounding it per GEMM.
        let m = 37, i = 48, o = 40
        var rng = SeededGenerator(seed: 13)
        let x = (0..<(m * i)).map { _ in Float(rng.normal()) }, w = (0..<(o * i)).map { _ in Float(rng.normal()) / 8 }
        let b = (0..<o).map { _ in Float(rng.normal()) }, res = (0..<(m * o)).map { _ in Float(rng.normal()) }
        let dy = (0..<(m * o)).map { _ in Float(rng.normal()) }
        let kept = BFloat16GEMM.Operand(route: BFloat16GEMM.route)
        kept.load(x, rows: m, cols: i, ld: i)
        var want = [Float](repeating: 0, count: m * o), got = want
        Linear.forward(x, rows: m, in: i, out: o, weight: w, bias: b, residual: res, into: &want, precision: .bfloat16)
        Linear.forward(.rounded(kept), out: o, weight: w, bias: b, residual: res, into: &got, precision: .bfloat16)
        XCTAssertEqual(got, want)
        // A bias without a residual, which the GEMM adds as it stores y.
        Linear.forward(x, rows: m, in: i, out: o, weight: w, bias: b, into: &want, precision: .bfloat16)
        Linear.forward(.rounded(kept), out: o, weight: w, bias: b, into: &got, precision: .bfloat16)
        XCTAssertEqual(got.map(\.bitPattern), want.map(\.bitPattern), "the GEMM's fused bias")
        var dwA = [Float](repeating: 0.5, count: o * i), dbA = [Float](repeating: 0, count: o), dxA = [Float](repeating: 0, count: m * i)
        var dwB = dwA, dbB = dbA, dxB = dxA
        Linear.backward(dy, x: x, rows: m, in: i, out: o, weight: w, dWeight: &dwA, dBias: &dbA, dx: &dxA, precision: .bfloat16)
        Linear.backward(dy, x: .rounded(kept), out: o, weight: w, dWeight: &dwB, dBias: &dbB, dx: &dxB, precision: .bfloat16)
        XCTAssertEqual(dwB, dwA)
        XCTAssertEqual(dbB, dbA)
        XCTAssertEqual(dxB, dxA)
        // ... and with dy rounded already, as GELU's backward leaves it.
        let roundedDy = BFloat16GEMM.Operand(route: BFloat16GEMM.route)
        roundedDy.load(dy, rows: m, cols: o, ld: o)
        var dwC = [Float](repeating: 0.5, count: o * i), dxC = [Float](repeating: 0, count: m * i)
        Linear.backward(roundedDy: roundedDy, x: kept, out: o, weight: w, dWeight: &dwC, dx: &dxC)
        XCTAssertEqual(dwC, dwA)
        XCTAssertEqual(dxC, dxA)
        // The bias gradient taken while dy is rounded (with scratch for the
        // per-worker partials) and in a pass of its own: the same bits.
        var dwD = [Float](repeating: 0.5, count: o * i), dbD = [Float](repeating: 0, count: o), dxD = dxC
        var dbSeparate = [Float](repeating: 0, count: o)
        Linear.backward(dy, x: .rounded(kept), out: o, weight: w, dWeight: &dwD, dBias: &dbD, dx: &dxD,
                        scratch: FloatBuffer(), precision: .bfloat16)
        Linear.columnSums(dy, rows: m, width: o, into: &dbSeparate, scratch: FloatBuffer())
        XCTAssertEqual(dbD.map(\.bitPattern), dbSeparate.map(\.bitPattern))
        XCTAssertEqual(dwD, dwA)
        XCTAssertEqual(dxD, dxA)
    }

    func testTheGEMMsFusedBiasEqualsAddingItAfterAtEveryShape() {
        // oneDNN picks its kernel by shape; each must add the bias to the
        // finished product (qkv's shapes in training and in feature
        // extraction, whose batch size is free).
        var rng = SeededGenerator(seed: 17)
        for (m, n, k) in [(1, 576, 192), (3, 48, 16), (49, 576, 192), (50, 288, 96), (257, 576, 192), (2401, 144, 48),
                          (6272, 576, 192), (12544, 576, 192)] {
            let x = (0..<(m * k)).map { _ in Float(rng.normal()) }, w = (0..<(n * k)).map { _ in Float(rng.normal()) / 8 }
            let b = (0..<n).map { _ in Float(rng.normal()) }
            let kept = BFloat16GEMM.Operand(route: BFloat16GEMM.route)
            kept.load(x, rows: m, cols: k, ld: k)
            var fused = [Float](repeating: 0, count: m * n), after = fused
            Linear.forward(.rounded(kept), out: n, weight: w, bias: b, into: &fused, precision: .bfloat16)
            Linear.forward(.rounded(kept), out: n, weight: w, bias: nil, into: &after, precision: .bfloat16)
            Linear.addRows(bias: b, residual: nil, rows: m, width: n, into: &after)
            XCTAssertEqual(fused.map(\.bitPattern), after.map(\.bitPattern), "\(m)x\(n)x\(k)")
        }
    }

    func testBFloat16ModelStaysNearFloat32() {
        let shape = JEPAShape(channels: 1, patchSize: 4, gridSize: 4, encoder: ViTConfig(embedDim: 32, depth: 2, numHeads: 2),
                              predictorDim: 16, predictorDepth: 1)
        var rng = SeededGenerator(seed: 9)
        let patches = (0..<(3 * shape.numPatches * shape.patchDim)).map { _ in Float(rng.normal()) }
        var outputs: [[Float]] = []
        for precision in MatmulPrecision.allCases {
            let enc = VisionTransformer(shape: shape, precision: precision)
            enc.initialize(seed: 1, patchStd: 0.3)
            let y = patches.withUnsafeBufferPointer { enc.forward(patches: $0.baseAddress!, batch: 3, indices: nil, count: 16) }
            outputs.append(Array(UnsafeBufferPointer(start: y, count: 3 * 16 * 32)))
        }
        // LayerNormed outputs (unit scale): bf16's 2^-9 relative rounding through 2 blocks.
        let worst = zip(outputs[0], outputs[1]).map { Swift.abs($0 - $1) }.max()!
        XCTAssertGreaterThan(worst, 0, "the bf16 model rounds")
        XCTAssertLessThan(worst, 0.05, "the bf16 model stays near float32")
    }
}
