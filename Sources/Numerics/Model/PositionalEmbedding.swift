import Foundation

/// Fixed 2-D sin-cos positional embedding [grid², dim], as in MAE and
/// I-JEPA: for token t = row·g + col, the first dim/2 channels encode the
/// column and the last dim/2 the row (the order numpy's meshgrid(w, h) gives
/// the official code); each half is [sin(q·ω_k)…, cos(q·ω_k)…] with
/// ω_k = 10000^(−k/(dim/4)). Not trained.
public enum PositionalEmbedding {
    public static func sinCos2D(dim: Int, gridSize g: Int) -> [Float] {
        precondition(dim % 4 == 0, "sin-cos embedding needs a width divisible by 4")
        let half = dim / 2, quarter = dim / 4
        var out = [Float](repeating: 0, count: g * g * dim)
        for row in 0..<g {
            for col in 0..<g {
                let t = row * g + col
                for (part, q) in [(0, Double(col)), (1, Double(row))] {
                    for k in 0..<quarter {
                        let omega = 1 / pow(10000, Double(k) / Double(quarter))
                        out[t * dim + part * half + k] = Float(sin(q * omega))
                        out[t * dim + part * half + quarter + k] = Float(cos(q * omega))
                    }
                }
            }
        }
        return out
    }
}
