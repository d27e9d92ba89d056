import XCTest
@testable import Probing
import Random

final class LogisticRegressionClassifierTests: XCTestCase {
    /// Analytic gradient against central differences. Parameters and data
    /// are multiples of 2⁻¹⁰ and the step is 2⁻⁷, so the Float32 copy the
    /// objective computes with is perturbed by exactly ±h.
    func testGradientMatchesCentralDifferences() {
        let n = 7, f = 5, c = 3, l2 = 0.1
        var rng = SeededGenerator(seed: 11)
        let grid = { (v: Double) -> Float in Float((v * 1024).rounded() / 1024) }
        let x = (0..<n * f).map { _ in grid(rng.normal()) }
        let labels = (0..<n).map { _ in Int32(rng.below(c)) }
        var model = LogisticRegression(features: f, classes: c)
        model.weights = (0..<c * f).map { _ in grid(0.5 * rng.normal()) }
        model.bias = (0..<c).map { _ in grid(0.5 * rng.normal()) }
        var analytic: [Double] = []
        _ = model.objective(x: x, labels: labels, count: n, l2: l2, gradient: &analytic)
        XCTAssertEqual(analytic.count, c * f + c)
        let h = 1.0 / 128
        var scratch: [Double] = []
        var worst = 0.0
        for i in 0..<(c * f + c) {
            var up = model, down = model
            if i < c * f {
                up.weights[i] += Float(h)
                down.weights[i] -= Float(h)
            } else {
                up.bias[i - c * f] += Float(h)
                down.bias[i - c * f] -= Float(h)
            }
            let numeric = (up.objective(x: x, labels: labels, count: n, l2: l2, gradient: &scratch)
                - down.objective(x: x, labels: labels, count: n, l2: l2, gradient: &scratch)) / (2 * h)
            worst = max(worst, abs(analytic[i] - numeric) / (1e-4 + 1e-3 * abs(numeric)))
        }
        XCTAssertLessThanOrEqual(worst, 1, "worst scaled gradient error")
        XCTAssertGreaterThan(analytic.map(abs).max()!, 1e-2, "a non-trivial gradient was checked")
    }

    /// The loss matches cross-entropy written out in Double.
    func testObjectiveValueMatchesDefinition() {
        let n = 5, f = 3, c = 4, l2 = 0.3
        var rng = SeededGenerator(seed: 5)
        let x = (0..<n * f).map { _ in Float(rng.normal()) }
        let labels = (0..<n).map { _ in Int32(rng.below(c)) }
        var model = LogisticRegression(features: f, classes: c)
        model.weights = (0..<c * f).map { _ in Float(rng.normal()) }
        model.bias = (0..<c).map { _ in Float(rng.normal()) }
        var g: [Double] = []
        let value = model.objective(x: x, labels: labels, count: n, l2: l2, gradient: &g)
        var expected = 0.0
        for r in 0..<n {
            let z = (0..<c).map { k in
                Double(model.bias[k]) + (0..<f).reduce(0.0) { $0 + Double(model.weights[k * f + $1]) * Double(x[r * f + $1]) }
            }
            expected += log(z.map(exp).reduce(0, +)) - z[Int(labels[r])]
        }
        expected = expected / Double(n) + 0.5 * l2 * model.weights.reduce(0.0) { $0 + Double($1) * Double($1) }
        XCTAssertEqual(value, expected, accuracy: 1e-5)
    }

    /// On a tiny fixed set: the gradient vanishes at the fit and every
    /// nearby point is worse.
    func testFitIsAMinimum() {
        let f = 3, c = 3, l2 = 0.05
        let x: [Float] = [0, 0, 1, 1, 0, 0, 0, 1, 0, 1, 1, 0, 0.5, 0.5, 0.5, -1, 0, 1,
                          2, 1, 0, 0, -1, 2, 1, 1, 1, -0.5, 0.5, 0, 0, 2, 1, 1, -1, 0]
        let labels: [Int32] = [0, 1, 2, 1, 0, 2, 1, 2, 0, 0, 2, 1]
        let n = labels.count
        let (model, report) = LogisticRegression.fit(x: x, labels: labels, count: n, features: f, classes: c, l2: l2,
                                                     tolerance: 1e-6)
        XCTAssertTrue(report.converged)
        var g: [Double] = []
        let best = model.objective(x: x, labels: labels, count: n, l2: l2, gradient: &g)
        XCTAssertEqual(best, report.loss, accuracy: 1e-6)
        XCTAssertLessThan(g.map(abs).max()!, 1e-5)
        var rng = SeededGenerator(seed: 2)
        for _ in 0..<20 {
            var other = model
            for i in 0..<other.weights.count { other.weights[i] += Float(0.02 * rng.normal()) }
            for j in 0..<c { other.bias[j] += Float(0.02 * rng.normal()) }
            XCTAssertGreaterThan(other.objective(x: x, labels: labels, count: n, l2: l2, gradient: &g), best + 1e-7)
        }
    }

    /// Two classes from zeros: L-BFGS keeps W₁ = -W₀ and b₁ = -b₀ (the
    /// gradient never has a symmetric part), so the fit is binary logistic
    /// regression in w = W₀ - W₁, β = b₀ - b₁ with penalty (l2 / 4)‖w‖²,
    /// solved here independently by Newton's method in Double.
    func testTwoClassFitMatchesNewton() {
        let n = 60, f = 4, l2 = 0.01
        var rng = SeededGenerator(seed: 21)
        let x = (0..<n * f).map { _ in Float(rng.normal()) }
        let truth = [1.5, -2.0, 0.5, 0.0]
        let labels: [Int32] = (0..<n).map { r in
            let s = (0..<f).reduce(0.3) { $0 + truth[$1] * Double(x[r * f + $1]) }
            return rng.uniform() < 1 / (1 + exp(-s)) ? 0 : 1   // class 0 is the "positive" class
        }
        var theta = [Double](repeating: 0, count: f + 1)   // w then β
        for _ in 0..<50 {
            var grad = [Double](repeating: 0, count: f + 1)
            var hess = [Double](repeating: 0, count: (f + 1) * (f + 1))
            for r in 0..<n {
                let xr = (0..<f).map { Double(x[r * f + $0]) } + [1]
                let s = (0...f).reduce(0.0) { $0 + theta[$1] * xr[$1] }
                let p = 1 / (1 + exp(-s)), y = labels[r] == 0 ? 1.0 : 0
                for i in 0...f {
                    grad[i] += (p - y) * xr[i] / Double(n)
                    for j in 0...f { hess[i * (f + 1) + j] += p * (1 - p) * xr[i] * xr[j] / Double(n) }
                }
            }
            for i in 0..<f {
                grad[i] += 0.5 * l2 * theta[i]
                hess[i * (f + 1) + i] += 0.5 * l2
            }
            let step = LBFGSTests.solve(hess, grad)
            for i in 0...f { theta[i] -= step[i] }
        }
        let (model, report) = LogisticRegression.fit(x: x, labels: labels, count: n, features: f, classes: 2, l2: l2,
                                                     tolerance: 1e-7)
        XCTAssertLessThan(report.gradientNorm, 1e-5)
        for i in 0..<f {
            XCTAssertEqual(Double(model.weights[i] - model.weights[f + i]), theta[i], accuracy: 1e-4, "w[\(i)]")
            XCTAssertEqual(Double(model.weights[i] + model.weights[f + i]), 0, accuracy: 1e-5)
        }
        XCTAssertEqual(Double(model.bias[0] - model.bias[1]), theta[f], accuracy: 1e-4, "bias")
    }

    /// Labels from argmax(Wx + b + noise) with a known W: the fit recovers
    /// the rule on held-out points.
    func testRecoversALinearRule() {
        let f = 10, c = 4, train = 2000, test = 1000
        var rng = SeededGenerator(seed: 99)
        let w = (0..<c * f).map { _ in 2 * rng.normal() }
        let b = (0..<c).map { _ in rng.normal() }
        func sample(_ count: Int) -> ([Float], [Int32]) {
            let x = (0..<count * f).map { _ in Float(rng.normal()) }
            let y = (0..<count).map { r -> Int32 in
                let scores = (0..<c).map { k in
                    b[k] + 0.3 * rng.normal() + (0..<f).reduce(0.0) { $0 + w[k * f + $1] * Double(x[r * f + $1]) }
                }
                return Int32(scores.indices.max { scores[$0] < scores[$1] }!)
            }
            return (x, y)
        }
        let (xTrain, yTrain) = sample(train), (xTest, yTest) = sample(test)
        let (model, report) = LogisticRegression.fit(x: xTrain, labels: yTrain, count: train, features: f, classes: c,
                                                     l2: 1e-3)
        XCTAssertTrue(report.converged, "\(report)")
        func accuracy(_ x: [Float], _ y: [Int32]) -> Double {
            let p = model.predict(x: x, count: y.count)
            return Double(zip(p, y).filter { $0 == $1 }.count) / Double(y.count)
        }
        XCTAssertGreaterThan(accuracy(xTrain, yTrain), 0.95)
        XCTAssertGreaterThan(accuracy(xTest, yTest), 0.90)
        // A warm start from the fit is already converged.
        let (_, again) = LogisticRegression.fit(x: xTrain, labels: yTrain, count: train, features: f, classes: c,
                                                l2: 1e-3, warmStart: model)
        XCTAssertLessThanOrEqual(again.iterations, 2)
    }
}
