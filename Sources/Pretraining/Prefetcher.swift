import Dispatch
import Numerics
import Threads
import Training

/// The next batch read on a background queue while the current step
/// trains: two buffers, one filled while the other is trained on. A read
/// error (a streamed split reads its shards here) reaches the step loop.
final class Prefetcher {
    private let data: TrainingData
    /// This rank's samples of every global batch.
    private let samples: Range<Int>
    private let buffers: [FloatBuffer]  // 2 x (samples.count, numPatches * patchDim)
    private let end: Int
    private let queue = DispatchQueue(label: "ijepa.prefetch")
    private let ready = DispatchSemaphore(value: 0)
    private let failure = PrefetchFailure()
    private var epochOrder: EpochOrder

    /// Starts reading the batch of `step`; batches up to `end` (exclusive) follow.
    init(data: TrainingData, samples: Range<Int>, sampleSize: Int, from step: Int, to end: Int) {
        self.data = data
        self.samples = samples
        self.end = end
        buffers = [FloatBuffer(samples.count * sampleSize), FloatBuffer(samples.count * sampleSize)]
        epochOrder = EpochOrder(data)
        if step < end { request(step) }
    }

    /// The batch of `step` (waiting for its read), after starting the read of
    /// the next one into the other buffer.
    func batch(_ step: Int) throws -> UnsafeMutablePointer<Float> {
        ready.wait()
        if let error = failure.error { throw error }
        if step + 1 < end { request(step + 1) }
        return buffers[step % 2].pointer
    }

    /// Waits for a read in flight.
    func drain() { queue.sync {} }

    private func request(_ step: Int) {
        let order = epochOrder.forStep(step), buffer = buffers[step % 2], data = self.data, samples = self.samples
        let failure = self.failure, ready = self.ready
        queue.async {
            do { try data.batch(step: step, order: order, samples: samples, into: buffer.pointer) } catch { failure.error = error }
            ready.signal()
        }
    }
}

/// The prefetch thread's read error, handed to the step loop.
/// Sendable: written on the prefetch queue before `ready.signal()`, read after `ready.wait()`.
private final class PrefetchFailure: @unchecked Sendable {
    var error: (any Error)? = nil
}
