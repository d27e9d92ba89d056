/// The prediction loss over predicted and target features, averaged over
/// every token and feature: `l2` (mean squared error, the paper's equation)
/// or `smooth_l1` (Huber with beta 1, what the official code uses).
public enum PredictionLoss: String, Sendable, CaseIterable {
    case l2
    case smoothL1 = "smooth_l1"

    /// Returns the loss and writes ∂loss/∂prediction into `grad`.
    public func evaluate(prediction p: UnsafePointer<Float>, target t: UnsafePointer<Float>, count n: Int,
                         grad: UnsafeMutablePointer<Float>) -> Double {
        var sum = 0.0
        let inv = 1 / Float(n)
        switch self {
        case .l2:
            for i in 0..<n {
                let d = p[i] - t[i]
                sum += Double(d * d)
                grad[i] = 2 * d * inv
            }
        case .smoothL1:
            for i in 0..<n {
                let d = p[i] - t[i], a = abs(d)
                if a < 1 {
                    sum += Double(0.5 * d * d)
                    grad[i] = d * inv
                } else {
                    sum += Double(a - 0.5)
                    grad[i] = (d > 0 ? 1 : -1) * inv
                }
            }
        }
        return sum / Double(n)
    }
}
