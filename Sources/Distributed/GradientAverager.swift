import Dispatch
import Numerics
import Training

/// Averages gradients over the ranks: each store is cut into buckets of at
/// most `bucketBytes` and each bucket's sum starts (MPI_Iallreduce) as soon
/// as the trainer hands the store over, so the predictor's gradients travel
/// while the context encoder's backward runs; `finish` waits and divides by
/// the rank count. Every rank gets the same sums, so the replicas stay
/// identical.
public final class GradientAverager: GradientReducer {
    public let comm: Communicator
    public let bucketFloats: Int
    private var pending: [Communicator.Request] = []
    private var stores: [ParameterStore] = []
    /// Wall time spent in `finish` (waiting for the sums), over all steps.
    public private(set) var waitSeconds = 0.0

    public init(comm: Communicator, bucketBytes: Int = 8 << 20) {
        self.comm = comm
        bucketFloats = max(1, bucketBytes / MemoryLayout<Float>.size)
    }

    public func ready(_ store: ParameterStore) {
        stores.append(store)
        var offset = 0
        while offset < store.count {
            let n = min(bucketFloats, store.count - offset)
            pending.append(comm.startSum(store.grads + offset, count: n))
            offset += n
        }
    }

    public func finish() {
        let t0 = DispatchTime.now().uptimeNanoseconds
        for r in pending { comm.wait(r) }
        pending.removeAll(keepingCapacity: true)
        if comm.size > 1 {
            let s = 1 / Float(comm.size)
            for store in stores {
                let g = store.grads
                for i in 0..<store.count { g[i] *= s }
            }
        }
        stores.removeAll(keepingCapacity: true)
        waitSeconds += Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
    }

    public func mean(_ values: [Double]) -> [Double] {
        comm.sum(values).map { $0 / Double(comm.size) }
    }
}
