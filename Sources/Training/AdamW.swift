import Foundation
import Numerics
import Threads

/// AdamW as PyTorch's (decoupled weight decay, bias-corrected moments),
/// over one ParameterStore. Tensors named like a bias or with one dimension
/// get no weight decay, as in the official I-JEPA parameter groups (so
/// `mask_token`, [1, 1, P], does decay).
public final class AdamW {
    public let beta1: Float, beta2: Float, eps: Float
    public let store: ParameterStore
    /// First and second moments (PyTorch's exp_avg, exp_avg_sq), same layout as the store.
    public let expAvg: UnsafeMutablePointer<Float>
    public let expAvgSq: UnsafeMutablePointer<Float>
    public private(set) var step = 0
    /// Per tensor: whether weight decay applies.
    let decays: [(offset: Int, count: Int, decay: Bool)]

    public init(store: ParameterStore, beta1: Float = 0.9, beta2: Float = 0.999, eps: Float = 1e-8) {
        self.store = store
        self.beta1 = beta1
        self.beta2 = beta2
        self.eps = eps
        expAvg = .allocate(capacity: max(store.count, 1))
        expAvgSq = .allocate(capacity: max(store.count, 1))
        expAvg.initialize(repeating: 0, count: max(store.count, 1))
        expAvgSq.initialize(repeating: 0, count: max(store.count, 1))
        decays = store.entries.map { e in (e.offset, e.count, !e.name.contains("bias") && e.shape.count != 1) }
    }

    deinit {
        expAvg.deallocate()
        expAvgSq.deallocate()
    }

    /// Sets the step count when resuming; the checkpoint loader writes the
    /// moments into `expAvg` and `expAvgSq` in place.
    public func restore(step: Int) { self.step = step }

    /// One update with the store's current gradients.
    public func update(lr: Double, weightDecay: Double) {
        step += 1
        let lr = Float(lr), wd = Float(weightDecay)
        let bc1 = 1 - Float(pow(Double(beta1), Double(step))), bc2 = 1 - Float(pow(Double(beta2), Double(step)))
        let stepSize = lr / bc1, bc2Root = bc2.squareRoot()
        let p = SharedPointer(store.values), g = SharedPointer(store.grads)
        let ms = SharedPointer(expAvg), vs = SharedPointer(expAvgSq)
        let (b1, b2, eps, decays) = (beta1, beta2, self.eps, self.decays)
        // Elementwise, so any split over the workers gives the same result.
        Parallel.forChunks(store.count) { _, range in
            for t in decays {
                let lo = max(t.offset, range.lowerBound), hi = min(t.offset + t.count, range.upperBound)
                guard lo < hi else { continue }
                let shrink: Float = t.decay ? 1 - lr * wd : 1
                let p = p.base, g = g.base, m = ms.base, v = vs.base
                for i in lo..<hi {
                    p[i] *= shrink
                    m[i] = b1 * m[i] + (1 - b1) * g[i]
                    v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i]
                    p[i] -= stepSize * m[i] / (v[i].squareRoot() / bc2Root + eps)
                }
            }
        }
    }
}
