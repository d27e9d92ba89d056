import Foundation
import Numerics
import Threads

/// DINO's weighted k-NN classifier (Caron et al. 2021, eval_knn.py).
public enum KNNClassifier {
    /// Similarity rows held at once: bounds the scratch to about 64 MiB
    /// whatever the train set size.
    static let similarityBudget = 1 << 24

    /// Cosine similarity (features L2-normalised inside), top-k neighbours,
    /// each votes for its label with weight exp(sim / temperature);
    /// prediction = class with the largest summed weight (the lowest class
    /// on ties; among equally similar neighbours the lower train index wins).
    public static func predict(train: UnsafePointer<Float>, trainLabels: [Int32], trainCount: Int,
                               query: UnsafePointer<Float>, queryCount: Int, dim: Int, classes: Int,
                               k: Int = 20, temperature: Double = 0.07) -> [Int32] {
        precondition(trainCount >= 1 && trainLabels.count >= trainCount && classes >= 1 && k >= 1 && temperature > 0)
        precondition(trainLabels.prefix(trainCount).allSatisfy { $0 >= 0 && Int($0) < classes }, "label out of range")
        var predictions = [Int32](repeating: 0, count: queryCount)
        guard queryCount > 0 else { return predictions }
        let k = min(k, trainCount)
        // Train rows are not copied: sim = (q̂·t) / ‖t‖, scaled after the GEMM.
        let trainScale = UnsafeMutablePointer<Float>.allocate(capacity: trainCount)
        let chunk = max(1, min(512, similarityBudget / trainCount, queryCount))
        let q = UnsafeMutablePointer<Float>.allocate(capacity: chunk * dim)
        let sims = UnsafeMutablePointer<Float>.allocate(capacity: chunk * trainCount)
        defer {
            trainScale.deallocate()
            q.deallocate()
            sims.deallocate()
        }
        inverseNorms(train, rows: trainCount, dim: dim, into: trainScale)
        let ss = SharedPointer(sims), scales = SharedPointer(trainScale)
        trainLabels.withUnsafeBufferPointer { lb in
            let labels = SharedReadPointer(lb.baseAddress!)
            predictions.withUnsafeMutableBufferPointer { pb in
                let out = SharedPointer(pb.baseAddress!)
                for start in stride(from: 0, to: queryCount, by: chunk) {
                    let rows = min(chunk, queryCount - start)
                    normalize(query + start * dim, rows: rows, dim: dim, into: q)
                    GEMM.sgemm(false, true, rows, trainCount, dim, 1, q, dim, train, dim, 0, sims, trainCount)
                    Parallel.forChunks(rows) { _, range in
                        // Per-worker scratch, once per chunk of queries.
                        let topSim = UnsafeMutablePointer<Float>.allocate(capacity: k)
                        let topIndex = UnsafeMutablePointer<Int>.allocate(capacity: k)
                        let votes = UnsafeMutablePointer<Double>.allocate(capacity: classes)
                        defer {
                            topSim.deallocate()
                            topIndex.deallocate()
                            votes.deallocate()
                        }
                        for r in range {
                            let filled = topK(ss.base + r * trainCount, scale: scales.base, count: trainCount, k: k,
                                              sims: topSim, indices: topIndex)
                            votes.update(repeating: 0, count: classes)
                            for i in 0..<filled {
                                votes[Int(labels.base[topIndex[i]])] += exp(Double(topSim[i]) / temperature)
                            }
                            var best = 0
                            for c in 1..<classes where votes[c] > votes[best] { best = c }
                            out.base[start + r] = Int32(best)
                        }
                    }
                }
            }
        }
        return predictions
    }

    /// 1 / ‖row‖ per row (a row of zeros gets a finite scale, so similarity 0).
    static func inverseNorms(_ x: UnsafePointer<Float>, rows: Int, dim: Int, into out: UnsafeMutablePointer<Float>) {
        let xs = SharedReadPointer(x), os = SharedPointer(out)
        Parallel.forEach(rows) { r in
            let row = xs.base + r * dim
            var s: Float = 0
            for j in 0..<dim { s += row[j] * row[j] }
            os.base[r] = 1 / max(s.squareRoot(), 1e-12)
        }
    }

    /// dst = src with each row scaled to unit length.
    static func normalize(_ src: UnsafePointer<Float>, rows: Int, dim: Int, into dst: UnsafeMutablePointer<Float>) {
        let ss = SharedReadPointer(src), ds = SharedPointer(dst)
        Parallel.forEach(rows) { r in
            let from = ss.base + r * dim, to = ds.base + r * dim
            var s: Float = 0
            for j in 0..<dim { s += from[j] * from[j] }
            let inv = 1 / max(s.squareRoot(), 1e-12)
            for j in 0..<dim { to[j] = from[j] * inv }
        }
    }

    /// The k largest of row[j]·scale[j], in descending order, by insertion
    /// into a sorted list of k: a value enters only when it beats the
    /// current k-th, which after the first few hundred rows is rare.
    /// Returns how many were filled (min(k, count)).
    static func topK(_ row: UnsafePointer<Float>, scale: UnsafePointer<Float>, count: Int, k: Int,
                     sims: UnsafeMutablePointer<Float>, indices: UnsafeMutablePointer<Int>) -> Int {
        var filled = 0
        for j in 0..<count {
            let s = row[j] * scale[j]
            if filled == k && !(s > sims[k - 1]) { continue }
            // Strictly greater moves ahead, so earlier indices win ties.
            var p = filled == k ? k - 1 : filled
            while p > 0 && s > sims[p - 1] {
                sims[p] = sims[p - 1]
                indices[p] = indices[p - 1]
                p -= 1
            }
            sims[p] = s
            indices[p] = j
            if filled < k { filled += 1 }
        }
        return filled
    }
}
