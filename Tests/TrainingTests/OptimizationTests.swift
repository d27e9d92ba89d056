import Foundation
import XCTest
@testable import Numerics
@testable import Training

final class OptimizationTests: XCTestCase {
    func testSchedulesAtFirstWarmupEndAndLastStep() {
        let s = Schedules(itersPerEpoch: 100, epochs: 10, ipeScale: 1, warmupEpochs: 2, startLR: 2e-4, peakLR: 1e-3,
                          finalLR: 1e-6, weightDecay: 0.04, finalWeightDecay: 0.4, ema: 0.996...1.0)
        XCTAssertEqual(s.totalSteps, 1000)
        XCTAssertEqual(s.warmupSteps, 200)
        XCTAssertEqual(s.learningRate(0), 2e-4 + 1.0 / 200 * 8e-4, accuracy: 1e-12)
        XCTAssertEqual(s.learningRate(199), 1e-3, accuracy: 1e-12, "peak at the end of warm-up")
        XCTAssertEqual(s.learningRate(599), 1e-6 + (1e-3 - 1e-6) * 0.5, accuracy: 1e-9, "half way down the cosine")
        XCTAssertEqual(s.learningRate(999), 1e-6, accuracy: 1e-12)
        XCTAssertEqual(s.weightDecay(999), 0.4, accuracy: 1e-12)
        XCTAssertEqual(s.weightDecay(0), 0.4 + (0.04 - 0.4) * 0.5 * (1 + cos(Double.pi / 1000)), accuracy: 1e-12)
        XCTAssertEqual(s.momentum(0), 0.996)
        XCTAssertEqual(s.momentum(500), 0.998, accuracy: 1e-12)
        XCTAssertEqual(s.momentum(1000), 1.0, accuracy: 1e-12)
        // ipe_scale stretches the schedules, not the training.
        let stretched = Schedules(itersPerEpoch: 100, epochs: 10, ipeScale: 1.25, warmupEpochs: 2, startLR: 2e-4,
                                  peakLR: 1e-3, finalLR: 1e-6, weightDecay: 0.04, finalWeightDecay: 0.4, ema: 0.996...1.0)
        XCTAssertEqual(stretched.trainingSteps, 1000)
        XCTAssertEqual(stretched.totalSteps, 1250)
        XCTAssertGreaterThan(stretched.learningRate(999), 1e-5, "the run ends before the cosine does")
        XCTAssertEqual(stretched.momentum(1250), 1.0, accuracy: 1e-12)
    }

    func testAdamWMatchesItsDefinitionAndSkipsDecayOnBiases() {
        let store = ParameterStore()
        // Decayed: a matrix and the 3-D mask token; not decayed: a bias and a 1-D weight.
        store.add("blocks.0.attn.qkv.weight", [2, 2])
        store.add("blocks.0.attn.qkv.bias", [2])
        store.add("norm.weight", [2])
        store.add("mask_token", [1, 1, 2])
        store.allocate()
        let initial: [Float] = [0.5, -1, 2, 0.25, 0.1, -0.2, 1, 1, 0.3, -0.3]
        store.values.update(from: initial, count: 10)
        let opt = AdamW(store: store)
        let grads: [[Float]] = [[0.1, -0.2, 0.3, 0.0, 1, -1, 0.5, 0.5, 0.2, 0.1], [0.2, 0.1, -0.3, 0.05, 1, 1, -0.5, 0.1, 0, 0.4]]
        let lr = 0.01, wd = 0.1
        // Reference in Double, straight from the definition.
        var p = initial.map(Double.init), m = [Double](repeating: 0, count: 10), v = m
        let decay = [true, true, true, true, false, false, false, false, true, true]
        for (k, g) in grads.enumerated() {
            store.grads.update(from: g, count: 10)
            opt.update(lr: lr, weightDecay: wd)
            let step = Double(k + 1)
            for i in 0..<10 {
                if decay[i] { p[i] *= 1 - lr * wd }
                m[i] = 0.9 * m[i] + 0.1 * Double(g[i])
                v[i] = 0.999 * v[i] + 0.001 * Double(g[i]) * Double(g[i])
                let denom = (v[i] / (1 - pow(0.999, step))).squareRoot() + 1e-8
                p[i] -= lr / (1 - pow(0.9, step)) * m[i] / denom
            }
        }
        for i in 0..<10 { XCTAssertEqual(Double(store.values[i]), p[i], accuracy: 1e-6, "element \(i)") }
    }

    func testEMAMovesTargetTowardOnline() {
        let online = ParameterStore(), target = ParameterStore()
        for s in [online, target] { s.add("w", [3]); s.allocate() }
        online.values.update(from: [1, 2, 3], count: 3)
        target.values.update(from: [0, 0, 0], count: 3)
        EMA.update(target: target, online: online, momentum: 0.9)
        XCTAssertEqual((0..<3).map { Double(target.values[$0]) }, [0.1, 0.2, 0.3], accuracy: 1e-6)
        let before = target.values[2]
        EMA.update(target: target, online: online, momentum: 1)
        XCTAssertEqual(target.values[2], before, "momentum 1 freezes the target")
    }

    func testLossesAndTheirGradients() {
        let p: [Float] = [0.2, -1.5, 3, 0.9], t: [Float] = [0, 0.5, 0, 1]
        var g = [Float](repeating: 0, count: 4)
        let l2 = PredictionLoss.l2.evaluate(prediction: p, target: t, count: 4, grad: &g)
        XCTAssertEqual(l2, (0.04 + 4 + 9 + 0.01) / 4, accuracy: 1e-6)
        XCTAssertEqual(g.map(Double.init), [0.1, -1, 1.5, -0.05], accuracy: 1e-6)
        let h = PredictionLoss.smoothL1.evaluate(prediction: p, target: t, count: 4, grad: &g)
        XCTAssertEqual(h, (0.02 + 1.5 + 2.5 + 0.005) / 4, accuracy: 1e-6)
        XCTAssertEqual(g.map(Double.init), [0.05, -0.25, 0.25, -0.025], accuracy: 1e-6)
        XCTAssertEqual(PredictionLoss(rawValue: "smooth_l1"), .smoothL1)
    }
}

func XCTAssertEqual(_ a: [Double], _ b: [Double], accuracy: Double, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.count, b.count, file: file, line: line)
    for (x, y) in zip(a, b) { XCTAssertEqual(x, y, accuracy: accuracy, file: file, line: line) }
}
