import Numerics
import Training

/// Keeping data-parallel replicas identical: rank 0's training state onto
/// every rank at the start (fresh or resumed, so a checkpoint written with
/// any rank count resumes with any other, and only rank 0 needs to read it),
/// and a check that the ranks still agree.
public enum ReplicaState {
    /// Every float of the trainer's state: weights, target encoder, AdamW
    /// moments.
    static func buffers(_ t: JEPATrainer) -> [(UnsafeMutablePointer<Float>, Int)] {
        [(t.encoder.params.values, t.encoder.params.count), (t.predictor.params.values, t.predictor.params.count),
         (t.targetEncoder.params.values, t.targetEncoder.params.count),
         (t.encoderOptimizer.expAvg, t.encoder.params.count), (t.encoderOptimizer.expAvgSq, t.encoder.params.count),
         (t.predictorOptimizer.expAvg, t.predictor.params.count), (t.predictorOptimizer.expAvgSq, t.predictor.params.count)]
    }

    /// Rank 0's state and step onto every rank; returns the step.
    public static func broadcast(_ trainer: JEPATrainer, step: Int, comm: Communicator) -> Int {
        guard comm.size > 1 else { return step }
        for (p, n) in buffers(trainer) { comm.broadcast(p, bytes: n * MemoryLayout<Float>.size) }
        let adamStep = comm.broadcast(trainer.encoderOptimizer.step)
        trainer.encoderOptimizer.restore(step: adamStep)
        trainer.predictorOptimizer.restore(step: comm.broadcast(trainer.predictorOptimizer.step))
        return comm.broadcast(step)
    }

    /// A digest of the state's bit patterns (FNV-1a over 64-bit words).
    public static func digest(_ trainer: JEPATrainer) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for (p, n) in buffers(trainer) {
            p.withMemoryRebound(to: UInt32.self, capacity: n) { w in
                for i in 0..<n { h = (h ^ UInt64(w[i])) &* 0x100_0000_01b3 }
            }
        }
        return h
    }

    /// Nil when every rank holds the same state, else what differs.
    public static func divergence(_ trainer: JEPATrainer, comm: Communicator) -> String? {
        guard comm.size > 1 else { return nil }
        let d = digest(trainer)
        let (lo, hi) = comm.range([d])
        return lo[0] == hi[0] ? nil : "the ranks' weights differ (state digests \(String(lo[0], radix: 16)) .. \(String(hi[0], radix: 16)))"
    }
}
