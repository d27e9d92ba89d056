import Foundation
import Numerics
import Threads

/// Multinomial logistic regression (softmax) with L2 on the weights (not the
/// bias). Objective: mean over samples of cross-entropy + (l2 / 2)·‖W‖².
public struct LogisticRegression: Sendable {
    public let features: Int
    public let classes: Int
    /// [classes, features], row-major.
    public var weights: [Float]
    /// [classes]
    public var bias: [Float]

    public init(features: Int, classes: Int) {
        precondition(features >= 1 && classes >= 1)
        self.features = features
        self.classes = classes
        weights = [Float](repeating: 0, count: classes * features)
        bias = [Float](repeating: 0, count: classes)
    }

    public struct FitReport: Sendable {
        public let iterations: Int
        public let loss: Double
        /// ‖∇‖∞ of the objective at the fit.
        public let gradientNorm: Double
        public let converged: Bool
    }

    /// x: [count, features] row-major (already standardised), labels in
    /// 0..<classes. warmStart: start from these weights (used when walking
    /// a regularisation grid). Converged means ‖∇‖∞ ≤ tolerance·max(1, loss).
    /// L-BFGS pairs kept: 20 needs about 15% fewer evaluations than 10 on raw pixels (measured).
    static let solverMemory = 20

    /// Bytes the solver holds for `features` x `classes` (plus bias)
    /// parameters: its history pairs and a few working vectors, in Double.
    static func solverBytes(features: Int, classes: Int) -> Double {
        8 * Double(2 * solverMemory + 6) * Double(classes * (features + 1))
    }

    public static func fit(x: UnsafePointer<Float>, labels: [Int32], count: Int, features: Int, classes: Int,
                           l2: Double, maxIterations: Int = 1000, tolerance: Double = 1e-5,
                           warmStart: LogisticRegression? = nil) -> (LogisticRegression, FitReport) {
        let start = warmStart ?? LogisticRegression(features: features, classes: classes)
        precondition(start.features == features && start.classes == classes, "warm start of another shape")
        var parameters = start.packed
        let objective = SoftmaxObjective(x: x, labels: labels, count: count, features: features, classes: classes)
        let lbfgs = LBFGS(memory: solverMemory, maxIterations: maxIterations, gradientTolerance: tolerance)
        let result = lbfgs.minimize(&parameters) { p, g in objective.evaluate(p, l2: l2, gradient: &g) }
        var model = LogisticRegression(features: features, classes: classes)
        model.unpack(parameters)
        return (model, FitReport(iterations: result.iterations, loss: result.value,
                                 gradientNorm: result.gradientNorm, converged: result.converged))
    }

    /// Objective value and its gradient w.r.t. the packed parameter vector
    /// [W (classes·features) then b (classes)] in Double.
    public func objective(x: UnsafePointer<Float>, labels: [Int32], count: Int, l2: Double,
                          gradient: inout [Double]) -> Double {
        let objective = SoftmaxObjective(x: x, labels: labels, count: count, features: features, classes: classes)
        return objective.evaluate(packed, l2: l2, gradient: &gradient)
    }

    /// Logits [count, classes] row-major.
    public func logits(x: UnsafePointer<Float>, count: Int) -> [Float] {
        var z = [Float](repeating: 0, count: count * classes)
        guard count > 0 else { return z }
        let c = classes
        for r in 0..<count { for j in 0..<c { z[r * c + j] = bias[j] } }
        weights.withUnsafeBufferPointer { w in
            GEMM.sgemm(false, true, count, c, features, 1, x, features, w.baseAddress!, features, 1, &z, c)
        }
        return z
    }

    /// Argmax of the logits (the lowest class on ties).
    public func predict(x: UnsafePointer<Float>, count: Int) -> [Int32] {
        let z = logits(x: x, count: count)
        var out = [Int32](repeating: 0, count: count)
        let c = classes
        z.withUnsafeBufferPointer { zb in
            out.withUnsafeMutableBufferPointer { ob in
                let zs = SharedReadPointer(zb.baseAddress!), os = SharedPointer(ob.baseAddress!)
                Parallel.forEach(count) { r in
                    let row = zs.base + r * c
                    var best = 0
                    for j in 1..<c where row[j] > row[best] { best = j }
                    os.base[r] = Int32(best)
                }
            }
        }
        return out
    }

    /// [W then b] in Double: the vector L-BFGS walks.
    var packed: [Double] { weights.map(Double.init) + bias.map(Double.init) }

    mutating func unpack(_ p: [Double]) {
        let nw = classes * features
        precondition(p.count == nw + classes)
        for i in 0..<nw { weights[i] = Float(p[i]) }
        for j in 0..<classes { bias[j] = Float(p[nw + j]) }
    }
}

/// The softmax cross-entropy objective over one data set, with its scratch
/// allocated once so that the many evaluations of a fit allocate nothing.
///
/// Each worker takes a contiguous range of rows and walks it in blocks:
/// logits by one GEMM, softmax and loss, then the block's weight gradient
/// by a second GEMM while the block is still in cache. The GEMMs run
/// single-threaded, one per worker: with only 10 classes a threaded GEMM
/// spends more on packing and hand-off than it gains (measured on 2 cores, 60000 ×
/// 784, 10 classes: 200–230 ms per evaluation as two threaded whole-batch
/// GEMMs, 75–100 ms blocked single-threaded). Today's oneDNN, same blocks,
/// 2 Zen 2 cores: 24–27 ms per evaluation on 54000 × 784 and 7–11 ms on
/// 54000 × 192, about the time to stream the features from memory once; C
/// kernels holding the class weights in L1 measured only 10–15% less and
/// were not kept (docs/performance.md).
/// Loss, bias gradient and the L2 term are summed in Double, per worker and
/// then in a fixed order, so a fit is deterministic.
/// Sendable: the inputs are `let`s never written; each worker writes only its own slot of the per-worker partial sums.
final class SoftmaxObjective: @unchecked Sendable {
    /// Rows per block: 1024 × 784 floats (3 MiB) per worker stay in the L3 cache.
    static let blockRows = 1024

    let x: UnsafePointer<Float>
    let labels: [Int32]
    let count: Int, features: Int, classes: Int
    let w: UnsafeMutablePointer<Float>
    let b: UnsafeMutablePointer<Float>
    /// Logits, then in place dLoss/dlogits.
    let z: UnsafeMutablePointer<Float>
    let chunks: Int
    /// Per-worker weight gradient [chunks, classes·features].
    let gradW: UnsafeMutablePointer<Float>
    /// Per-worker bias gradient (first `classes` slots) and loss (last slot).
    let partial: UnsafeMutablePointer<Double>

    init(x: UnsafePointer<Float>, labels: [Int32], count: Int, features: Int, classes: Int) {
        precondition(count >= 1 && labels.count >= count)
        precondition(labels.prefix(count).allSatisfy { $0 >= 0 && Int($0) < classes }, "label out of range")
        self.x = x
        self.labels = Array(labels.prefix(count))
        self.count = count
        self.features = features
        self.classes = classes
        w = .allocate(capacity: classes * features)
        b = .allocate(capacity: classes)
        z = .allocate(capacity: count * classes)
        chunks = Parallel.chunkCount(count)
        gradW = .allocate(capacity: chunks * classes * features)
        partial = .allocate(capacity: chunks * (classes + 1))
    }

    deinit {
        w.deallocate()
        b.deallocate()
        z.deallocate()
        gradW.deallocate()
        partial.deallocate()
    }

    func evaluate(_ p: [Double], l2: Double, gradient: inout [Double]) -> Double {
        let c = classes, f = features, n = count, nw = c * f
        precondition(p.count == nw + c)
        if gradient.count != p.count { gradient = [Double](repeating: 0, count: p.count) }
        for i in 0..<nw { w[i] = Float(p[i]) }
        for j in 0..<c { b[j] = Float(p[nw + j]) }

        let xs = SharedReadPointer(x), ws = SharedPointer(w), zs = SharedPointer(z)
        let gs = SharedPointer(gradW)
        BLASThreads.singleThreaded {
            Parallel.forChunks(n) { chunk, range in
                let gw = gs.base + chunk * nw
                var r = range.lowerBound
                while r < range.upperBound {
                    let m = min(Self.blockRows, range.upperBound - r)
                    let xb = xs.base + r * f, zb = zs.base + r * c
                    GEMM.sgemm(false, true, m, c, f, 1, xb, f, ws.base, f, 0, zb, c)
                    self.softmaxCrossEntropy(rows: r..<(r + m), chunk: chunk, first: r == range.lowerBound)
                    // dW += dzᵀ·x, the 1/n already folded into dz.
                    GEMM.sgemm(true, false, c, f, m, 1, zb, c, xb, f, r == range.lowerBound ? 0 : 1, gw, f)
                    r += m
                }
            }
        }

        var loss = 0.0
        for k in 0..<chunks { loss += partial[k * (c + 1) + c] }
        loss /= Double(n)
        var squares = 0.0
        gradient.withUnsafeMutableBufferPointer { g in
            p.withUnsafeBufferPointer { p in
                for i in 0..<nw {
                    squares += p[i] * p[i]
                    var s = 0.0
                    for k in 0..<chunks { s += Double(gradW[k * nw + i]) }
                    g[i] = s + l2 * p[i]
                }
            }
            for j in 0..<c {
                var s = 0.0
                for k in 0..<chunks { s += partial[k * (c + 1) + j] }
                g[nw + j] = s
            }
        }
        return loss + 0.5 * l2 * squares
    }

    /// Adds the bias to z, then per row: loss += logsumexp(z) - z[label],
    /// z ← (softmax(z) - onehot) / n, summed into the worker's `partial`
    /// (reset on its first block).
    private func softmaxCrossEntropy(rows: Range<Int>, chunk: Int, first: Bool) {
        let c = classes
        let pb = partial + chunk * (c + 1)
        if first { pb.update(repeating: 0, count: c + 1) }
        let invN = 1 / Float(count)
        var loss = 0.0
        labels.withUnsafeBufferPointer { labels in
            for r in rows {
                let row = z + r * c
                var m = -Float.infinity
                for j in 0..<c {
                    row[j] += b[j]
                    m = max(m, row[j])
                }
                let label = Int(labels[r])
                let shiftedLabel = row[label] - m
                var s: Float = 0
                for j in 0..<c {
                    row[j] = expf(row[j] - m)
                    s += row[j]
                }
                loss += Double(logf(s)) - Double(shiftedLabel)
                let inv = 1 / s
                for j in 0..<c {
                    let d = (row[j] * inv - (j == label ? 1 : 0)) * invN
                    row[j] = d
                    pb[j] += Double(d)
                }
            }
        }
        pb[c] += loss
    }
}
