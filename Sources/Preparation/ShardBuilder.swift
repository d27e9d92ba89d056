import Foundation
import Imaging
import Logging
import Pipeline
import Threads
import Shards

/// Decodes, converts, resizes and patchifies every sample on all cores, a
/// batch at a time, and appends the batches to shard files of at most
/// `shard_size` samples.
struct ShardBuilder {
    let settings: PrepareInputs
    let progressInterval: Double
    let source: DataSource
    let directory: String
    let log: Logger

    /// Bytes of one sample's patches.
    var sampleBytes: Int { settings.numPatches * settings.patchDim }

    /// Samples decoded per parallel batch: about 256 MiB of patches, at
    /// least one per thread, at most 1024.
    var batchSize: Int { min(1024, max(Parallel.threadCount, (256 << 20) / sampleBytes)) }

    /// Samples per HDF5 chunk: about 1 MiB, so reading one sample never
    /// inflates much more than it needs (256 for Fashion-MNIST, 6 for
    /// 224x224 RGB).
    var chunkSamples: Int { min(settings.prepare.shardSize, 256, max(1, (1 << 20) / sampleBytes)) }

    /// What a split produced.
    struct SplitSummary {
        var shards: [(file: String, count: Int)] = []
        var classCounts: [Int] = []
        var unlabeled = 0
        var skipped: [(source: String, reason: String)] = []
        var written: Int { shards.reduce(0) { $0 + $1.count } }
    }

    func run() throws -> StageResult {
        let loadStart = Date()
        let (splits, classNames) = try source.load(settings: settings)
        let estimate = try checkMemory(splits)
        let loadTime = Date().timeIntervalSince(loadStart)
        let channels = settings.channels
        var trainSums = PixelSums(channels: channels)
        var summaries: [String: SplitSummary] = [:]
        var processed = 0
        let t0 = Date()
        for plan in splits {
            let limit = plan.name == "train" ? settings.prepare.limitTrain : settings.prepare.limitVal
            let p = plan.limited(to: limit)
            let (summary, sums) = try write(p, classNames: classNames)
            summaries[p.name] = summary
            if p.name == "train" { trainSums = sums }
            processed += p.count
        }
        let processTime = Date().timeIntervalSince(t0)
        try checkEveryClassHasImages(summaries, classNames: classNames)
        guard let train = summaries["train"], train.written > 0 else {
            throw PipelineError("\(settings.sourcePath): no train image could be read")
        }

        // Normalisation statistics over train pixels scaled to [0, 1], or
        // the fixed ones that pretrained weights expect.
        let pixelsPerChannel = Double(train.written * settings.cropSize * settings.cropSize)
        var mean = (0..<channels).map { Double(trainSums.sums[$0]) / pixelsPerChannel / 255 }
        var std = (0..<channels).map { c -> Double in
            let m2 = Double(trainSums.squares[c]) / pixelsPerChannel / (255 * 255)
            return max(0, m2 - mean[c] * mean[c]).squareRoot()
        }
        if settings.prepare.normalization == .imagenet { (mean, std) = PrepareSettings.imagenetStatistics }
        for s in summaries.values { for shard in s.shards {
            try ShardWriter.setStatistics(path: "\(directory)/\(shard.file)", mean: mean, std: std)
        } }

        let rate = Double(processed) / max(processTime, 1e-9)
        log.info("\(processed) images in \(String(format: "%.2f", processTime)) s: \(String(format: "%.0f", rate)) images/s on \(Parallel.threadCount) threads")
        let skipped = summaries.values.reduce(0) { $0 + $1.skipped.count }
        if skipped > 0 { log.warning("\(skipped) file(s) skipped (listed in manifest.json)") }

        let dataset = datasetJSON(summaries, classNames: classNames, mean: mean, std: std)
        try Data(dataset.pretty.utf8).write(to: URL(fileURLWithPath: "\(directory)/dataset.json"))

        var counts: [String: Int] = ["skipped": skipped, "classes": classNames.count]
        for (name, s) in summaries {
            counts[name] = s.written
            counts["\(name)_skipped"] = s.skipped.count
        }
        let skippedList = summaries.keys.sorted().flatMap { k in
            summaries[k]!.skipped.map { JSON.object(["split": .string(k), "source": .string($0.source), "reason": .string($0.reason)]) }
        }
        return StageResult(
            counts: counts,
            details: .object([
                "source": .object(["path": .string(settings.sourcePath), "kind": .string(source.kind),
                                   "files": .int(source.inputFiles.count)]),
                "images_per_second": .double(rate),
                "threads": .int(Parallel.threadCount),
                "skipped": .array(skippedList),
                "peak_resident_mib": .double(Double(ResidentMemory.peakBytes()) / 1_048_576),
                "estimated_mib": .double(estimate.total / 1_048_576),
            ]),
            timings: ["load_s": loadTime, "process_s": processTime],
            tools: ["hdf5": ShardWriter.libraryVersion, "libpng": ImageCodecs.pngVersion,
                    "libjpeg": ImageCodecs.jpegVersion, "zlib": IDXFile.zlibVersion])
    }

    /// The estimate of this run's peak, checked against the memory the
    /// process may use before any image is decoded.
    private func checkMemory(_ splits: [SplitPlan]) throws -> PrepareMemoryEstimate {
        var largestFile = 0, largestDecoded = 0, sourceBytes = 0
        if let folder = source as? FolderSource {
            // Headers only (PNG's IHDR, JPEG's frame header): no decoding.
            let sizes = Parallel.map(folder.files.count) { i -> (file: Int, decoded: Int) in
                let path = "\(folder.root)/\(folder.files[i].path)"
                // Regular files only (opening a FIFO would block; decoding skips it).
                var st = stat()
                guard stat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { return (0, 0) }
                return (Int(st.st_size), ImageHeader.size(path: path)?.decodedBytes ?? 0)
            }
            largestFile = sizes.map(\.file).max() ?? 0
            largestDecoded = sizes.map(\.decoded).max() ?? 0
        } else {
            // IDX: every split's images are held whole; all share one size.
            for plan in splits where plan.count > 0 {
                let bytes = try plan.load(0).pixels.count
                largestDecoded = max(largestDecoded, bytes)
                sourceBytes += plan.count * bytes
            }
        }
        let estimate = PrepareMemoryEstimate(
            batchBytes: batchSize * sampleBytes, threads: Parallel.threadCount, largestFile: largestFile,
            largestDecoded: largestDecoded, cropBytes: settings.cropSize * settings.cropSize * settings.channels,
            sourceBytes: sourceBytes)
        if let line = try MachineMemory.check(
            stage: "prepare", needs: estimate.total, summary: estimate.summary,
            remedy: "lower IJEPA_THREADS (each thread holds one image at a time) or shrink the largest images beforehand") {
            log.info("\(line)")
        }
        return estimate
    }

    /// A class folder whose every file failed to decode would silently become
    /// an empty class; that is an error (unless a limit cut the data set).
    private func checkEveryClassHasImages(_ summaries: [String: SplitSummary], classNames: [String]) throws {
        guard source.kind == "folder", settings.prepare.limitTrain == 0, settings.prepare.limitVal == 0 else { return }
        for (c, name) in classNames.enumerated() {
            let n = summaries.values.reduce(0) { $0 + ($1.classCounts.indices.contains(c) ? $1.classCounts[c] : 0) }
            if n == 0 {
                throw PipelineError("\(settings.sourcePath): class folder '\(name)' has no readable image (its files were all skipped)")
            }
        }
    }

    private func datasetJSON(_ summaries: [String: SplitSummary], classNames: [String],
                             mean: [Double], std: [Double]) -> JSON {
        var splits: [String: JSON] = [:]
        for (name, s) in summaries {
            splits[name] = .object([
                "count": .int(s.written),
                "shards": .array(s.shards.map { .object(["file": .string($0.file), "count": .int($0.count)]) }),
                "class_counts": .array(s.classCounts.map { .int($0) }),
                "unlabeled": .int(s.unlabeled),
            ])
        }
        return .object([
            "format_version": .int(ShardAttributes.formatVersion),
            "image_size": .int(settings.cropSize),
            "patch_size": .int(settings.patchSize),
            "grid": .array([.int(settings.gridSize), .int(settings.gridSize)]),
            "channels": .int(settings.channels),
            "num_patches": .int(settings.numPatches),
            "patch_dim": .int(settings.patchDim),
            "class_names": .array(classNames.map { .string($0) }),
            "mean": .array(mean.map { .double($0) }),
            "std": .array(std.map { .double($0) }),
            "splits": .object(splits),
        ])
    }

    /// Per-channel pixel sums and sums of squares of the written samples.
    struct PixelSums {
        var sums: [UInt64]
        var squares: [UInt64]
        init(channels: Int) {
            sums = [UInt64](repeating: 0, count: channels)
            squares = sums
        }
    }

    /// Processes one split into its shards.
    private func write(_ plan: SplitPlan, classNames: [String]) throws -> (SplitSummary, PixelSums) {
        var summary = SplitSummary()
        var stats = PixelSums(channels: settings.channels)
        summary.classCounts = [Int](repeating: 0, count: classNames.count)
        let attrs = ShardAttributes(split: plan.name, imageSize: settings.cropSize, patchSize: settings.patchSize,
                                    channels: settings.channels, classNames: classNames)
        let sampleBytes = self.sampleBytes
        let channels = settings.channels
        let progress = Progress("prepare \(plan.name)", total: plan.count, interval: progressInterval)
        var writer: ShardWriter? = nil

        let batch = batchSize
        var buffer = [UInt8](repeating: 0, count: batch * sampleBytes)
        var sampleSums = [UInt64](repeating: 0, count: batch * channels * 2)
        for start in stride(from: 0, to: plan.count, by: batch) {
            let n = min(batch, plan.count - start)
            var errors = [String?](repeating: nil, count: n)
            buffer.withUnsafeMutableBufferPointer { buf in
                sampleSums.withUnsafeMutableBufferPointer { ss in
                    errors.withUnsafeMutableBufferPointer { eb in
                        let out = SharedPointer(buf.baseAddress!), sums = SharedPointer(ss.baseAddress!)
                        let errs = SharedPointer(eb.baseAddress!)
                        let settings = self.settings
                        Parallel.forEach(n) { i in
                            do {
                                let img = try Preprocess.apply(plan.load(start + i), settings: settings)
                                Patchify.extract(img, patch: settings.patchSize, into: out.base + i * sampleBytes)
                                Preprocess.channelSums(img, into: sums.base + i * channels * 2)
                            } catch {
                                errs.base[i] = "\(error)"
                            }
                        }
                    }
                }
            }
            // Keep the decoded samples, in order; report the others.
            var labels: [Int32] = [], sources: [String] = []
            var kept = 0
            for i in 0..<n {
                if let e = errors[i] {
                    if settings.prepare.onError == .fail { throw PipelineError(e) }
                    log.warning("skipped: \(e)")
                    summary.skipped.append((plan.sources[start + i], e))
                    continue
                }
                if kept != i {
                    buffer.withUnsafeMutableBytes { b in
                        b.baseAddress!.advanced(by: kept * sampleBytes)
                            .copyMemory(from: b.baseAddress!.advanced(by: i * sampleBytes), byteCount: sampleBytes)
                    }
                }
                let label = plan.labels[start + i]
                labels.append(label)
                sources.append(plan.sources[start + i])
                if label >= 0 { summary.classCounts[Int(label)] += 1 } else { summary.unlabeled += 1 }
                for c in 0..<channels {
                    stats.sums[c] += sampleSums[i * channels * 2 + c]
                    stats.squares[c] += sampleSums[i * channels * 2 + channels + c]
                }
                kept += 1
            }
            // Append, rolling over to a new shard at shard_size.
            var offset = 0
            while offset < kept {
                if writer == nil {
                    let file = String(format: "%@-%05d.h5", plan.name, summary.shards.count)
                    writer = try ShardWriter(path: "\(directory)/\(file)", attributes: attrs,
                                             chunkSamples: chunkSamples, gzipLevel: settings.prepare.gzipLevel)
                    summary.shards.append((file, 0))
                }
                let room = settings.prepare.shardSize - writer!.count
                let m = min(room, kept - offset)
                try buffer.withUnsafeBytes { b in
                    try writer!.append(patchBytes: UnsafeRawBufferPointer(rebasing: b[offset * sampleBytes..<(offset + m) * sampleBytes]),
                                       labels: Array(labels[offset..<offset + m]),
                                       sources: Array(sources[offset..<offset + m]))
                }
                summary.shards[summary.shards.count - 1].count += m
                offset += m
                if writer!.count == settings.prepare.shardSize {
                    try writer!.close()
                    writer = nil
                }
            }
            progress.advance(by: n)
        }
        try writer?.close()
        progress.finish()
        return (summary, stats)
    }
}
