import Foundation
import Pipeline

/// Prepare's peak memory, estimated once the inputs are listed and before
/// any image is decoded: the batch of patches being built with the shard
/// writer's two batch-sized buffers (its pending copy and the compressed
/// chunks), each thread's largest image at every step of its way (file
/// bytes, decoded, converted, resized), and the source's own data (IDX
/// files are held whole). At 20,000 224-px RGB JPEGs on 2 threads, counting
/// the batch once printed 0.6 GiB against a 668 MiB peak.
struct PrepareMemoryEstimate {
    let batch: Double, perThread: Double, threads: Int, source: Double
    var total: Double { batch + Double(threads) * perThread + source + MachineMemory.overhead }

    /// `largestFile` and `largestDecoded`: bytes of the largest input file and
    /// of the largest decoded image; `cropBytes`: one prepared image.
    init(batchBytes: Int, threads: Int, largestFile: Int, largestDecoded: Int, cropBytes: Int, sourceBytes: Int) {
        batch = 3 * Double(batchBytes)
        self.threads = threads
        // The file and its copy, the decoded image and its channel
        // conversion, the resize's intermediate and output, the crop.
        perThread = 2 * Double(largestFile) + 2 * Double(largestDecoded) + 4 * Double(cropBytes)
        source = Double(sourceBytes)
    }

    var summary: String {
        let gib = MachineMemory.gib
        return "about \(gib(total)) (patch batch and shard writer \(gib(batch)), \(threads) threads' images \(gib(Double(threads) * perThread))"
            + (source > 0 ? ", source data \(gib(source))" : "") + ")"
    }
}
