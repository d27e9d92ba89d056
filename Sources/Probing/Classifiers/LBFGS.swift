import Foundation

/// Limited-memory BFGS (Nocedal & Wright, Alg. 7.4 and 7.5) with a line
/// search for the strong Wolfe conditions (Alg. 3.5 and 3.6, cubic
/// interpolation), on Double parameters.
///
/// Near the minimum the decrease left is below the rounding of f (Float32
/// logits give f to about 1e-7 relative), where the Armijo test only sees
/// noise; a step is then also accepted by Hager & Zhang's approximate Wolfe
/// test (2005): f within valueTolerance·|f| of the start and the strong
/// curvature condition, which rests on the gradient, computed far more
/// precisely than the f differences.
///
/// Stops when ‖∇f‖∞ ≤ gradientTolerance · max(1, |f|) (converged), after
/// maxIterations, or when no step along the search direction (nor, after the
/// memory is dropped, along steepest descent) lowers f any more: the
/// objective's own rounding is then larger than what is left to gain.
/// On return x holds the last accepted point: the lowest reached, up to
/// that valueTolerance.
public struct LBFGS: Sendable {
    public struct Result: Sendable {
        public let iterations: Int
        public let evaluations: Int
        public let value: Double
        /// ‖∇f‖∞ at the returned point.
        public let gradientNorm: Double
        public let converged: Bool
    }

    public var memory: Int = 10
    public var maxIterations: Int = 1000
    public var gradientTolerance: Double = 1e-5
    /// Sufficient decrease and curvature constants (the usual quasi-Newton values).
    var c1 = 1e-4, c2 = 0.9
    /// Evaluations one line search may spend before it gives up.
    var maxLineSearchEvaluations = 25
    /// ε of the approximate Wolfe test (Hager & Zhang's default).
    var valueTolerance = 1e-6

    public init(memory: Int = 10, maxIterations: Int = 1000, gradientTolerance: Double = 1e-5) {
        precondition(memory >= 1 && maxIterations >= 0 && gradientTolerance >= 0)
        self.memory = memory
        self.maxIterations = maxIterations
        self.gradientTolerance = gradientTolerance
    }

    /// Minimises f starting from x (updated in place). `evaluate(x, grad)`
    /// returns f(x) and writes ∇f(x) into grad.
    public func minimize(_ x: inout [Double], evaluate: (_ x: [Double], _ grad: inout [Double]) -> Double) -> Result {
        precondition(memory >= 1, "L-BFGS needs a memory of at least one pair")
        let n = x.count
        var g = [Double](repeating: 0, count: n)
        var f = evaluate(x, &g)
        var evaluations = 1
        var iterations = 0
        func done(_ converged: Bool) -> Result {
            Result(iterations: iterations, evaluations: evaluations, value: f, gradientNorm: Self.maxAbs(g),
                   converged: converged)
        }
        func isConverged() -> Bool { Self.maxAbs(g) <= gradientTolerance * max(1, abs(f)) }
        if !f.isFinite { return done(false) }
        if isConverged() { return done(true) }

        // Curvature pairs in a ring: slot (head - 1) is the newest.
        var s = [[Double]](repeating: [Double](repeating: 0, count: n), count: memory)
        var y = s
        var rho = [Double](repeating: 0, count: memory), alpha = rho
        var stored = 0, head = 0
        var d = [Double](repeating: 0, count: n)
        var xTrial = x, gTrial = g
        var xBest = x, gBest = g, fBest = f

        // φ(a) = f(x + a·d) and φ'(a), evaluated at xTrial (gradient in gTrial).
        func phi(_ a: Double) -> (Double, Double) {
            for i in 0..<n { xTrial[i] = x[i] + a * d[i] }
            let fa = evaluate(xTrial, &gTrial)
            evaluations += 1
            return (fa, Self.dot(gTrial, d))
        }
        func keepTrial(_ fa: Double) {
            // Element copies: an array assignment would make the next trial copy on write.
            for i in 0..<n {
                xBest[i] = xTrial[i]
                gBest[i] = gTrial[i]
            }
            fBest = fa
        }

        // Strong (or approximate) Wolfe search from step `initial`; true when
        // a point was kept in xBest: an acceptable one, or failing that, when
        // the budget ran out, the lowest with sufficient decrease.
        func lineSearch(initial: Double, slope d0: Double) -> Bool {
            let f0 = f
            var kept = false
            var budget = maxLineSearchEvaluations
            func acceptable(_ a: Double, _ fa: Double, _ da: Double) -> Bool {
                guard fa.isFinite, abs(da) <= -c2 * d0 else { return false }
                return fa <= f0 + c1 * a * d0 || fa <= f0 + valueTolerance * abs(f0)
            }

            func zoom(_ lo0: (a: Double, f: Double, d: Double), _ hi0: (a: Double, f: Double, d: Double)) -> Bool {
                var lo = lo0, hi = hi0
                while budget > 0 {
                    let width = abs(hi.a - lo.a)
                    if width <= 1e-16 * max(1, abs(lo.a)) { break }
                    var a = Self.cubicMinimizer(lo, hi)
                    let left = min(lo.a, hi.a), right = max(lo.a, hi.a)
                    // Keep the trial well inside the bracket so it shrinks.
                    if !a.isFinite || a < left + 0.1 * width || a > right - 0.1 * width { a = 0.5 * (lo.a + hi.a) }
                    let (fa, da) = phi(a)
                    budget -= 1
                    if acceptable(a, fa, da) {
                        keepTrial(fa)
                        return true
                    }
                    if !fa.isFinite || fa > f0 + c1 * a * d0 || fa >= lo.f {
                        hi = (a, fa, da)
                    } else {
                        keepTrial(fa)
                        kept = true
                        if da * (hi.a - lo.a) >= 0 { hi = lo }
                        lo = (a, fa, da)
                    }
                }
                return kept
            }

            var prev = (a: 0.0, f: f0, d: d0)
            var a = initial
            var first = true
            while budget > 0 {
                let (fa, da) = phi(a)
                budget -= 1
                if acceptable(a, fa, da) {
                    keepTrial(fa)
                    return true
                }
                if !fa.isFinite || fa > f0 + c1 * a * d0 || (!first && fa >= prev.f) {
                    return zoom(prev, (a, fa, da))
                }
                keepTrial(fa)
                kept = true
                if da >= 0 { return zoom((a, fa, da), prev) }
                prev = (a, fa, da)
                first = false
                a *= 4
            }
            return kept
        }

        var retriedSteepest = false
        while iterations < maxIterations {
            // d = -H·g by the two-loop recursion; H₀ = γI with γ = sᵀy / yᵀy.
            for i in 0..<n { d[i] = -g[i] }
            if stored > 0 {
                for k in 0..<stored {
                    let j = (head - 1 - k + memory) % memory
                    alpha[j] = rho[j] * Self.dot(s[j], d)
                    for i in 0..<n { d[i] -= alpha[j] * y[j][i] }
                }
                let newest = (head - 1 + memory) % memory
                let gamma = 1 / (rho[newest] * Self.dot(y[newest], y[newest]))
                for i in 0..<n { d[i] *= gamma }
                for k in (0..<stored).reversed() {
                    let j = (head - 1 - k + memory) % memory
                    let beta = rho[j] * Self.dot(y[j], d)
                    for i in 0..<n { d[i] += s[j][i] * (alpha[j] - beta) }
                }
            }
            var slope = Self.dot(g, d)
            if !(slope < 0) {
                // Not a descent direction (lost curvature): restart from steepest descent.
                stored = 0
                for i in 0..<n { d[i] = -g[i] }
                slope = Self.dot(g, d)
            }
            // Without curvature information the scale of d is unknown: a
            // first step of unit length (capped at 1) as scipy does.
            let initial = stored == 0 ? min(1, 1 / Self.dot(g, g).squareRoot()) : 1
            if !lineSearch(initial: initial, slope: slope) {
                if stored > 0 && !retriedSteepest {
                    stored = 0
                    retriedSteepest = true
                    continue
                }
                return done(false)
            }
            retriedSteepest = false
            iterations += 1
            let slot = head
            var sy = 0.0, yy = 0.0
            for i in 0..<n {
                s[slot][i] = xBest[i] - x[i]
                y[slot][i] = gBest[i] - g[i]
                sy += s[slot][i] * y[slot][i]
                yy += y[slot][i] * y[slot][i]
            }
            // Keep the pair only with positive curvature, so H stays positive definite.
            if sy > 1e-12 * yy && sy > 0 {
                rho[slot] = 1 / sy
                head = (head + 1) % memory
                stored = min(stored + 1, memory)
            }
            swap(&x, &xBest)
            swap(&g, &gBest)
            f = fBest
            if isConverged() { return done(true) }
        }
        return done(false)
    }

    static func dot(_ a: [Double], _ b: [Double]) -> Double {
        var s = 0.0
        for i in 0..<a.count { s += a[i] * b[i] }
        return s
    }

    static func maxAbs(_ a: [Double]) -> Double {
        var m = 0.0
        for v in a { m = max(m, abs(v)) }
        return m
    }

    /// Minimiser of the cubic through two points with their slopes (N&W eq. 3.59); NaN when it has none.
    static func cubicMinimizer(_ p: (a: Double, f: Double, d: Double), _ q: (a: Double, f: Double, d: Double)) -> Double {
        guard p.f.isFinite, q.f.isFinite, p.d.isFinite, q.d.isFinite, p.a != q.a else { return .nan }
        let d1 = p.d + q.d - 3 * (p.f - q.f) / (p.a - q.a)
        let disc = d1 * d1 - p.d * q.d
        guard disc >= 0 else { return .nan }
        let d2 = (q.a > p.a ? 1.0 : -1.0) * disc.squareRoot()
        return q.a - (q.a - p.a) * (q.d + d2 - d1) / (q.d - p.d + 2 * d2)
    }
}
