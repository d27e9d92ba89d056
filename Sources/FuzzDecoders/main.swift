import ArgumentParser
import Foundation
import CZlib
import Imaging
import Random

/// Mutation fuzzing of the image and IDX decoders (Tests/EndToEnd/fuzz_decoders.sh
/// runs it under AddressSanitizer): every mutated input must end in a
/// decoded image or a thrown error, never a crash (the sanitizer aborts the
/// process) or a hang (a watchdog aborts a case that runs too long, after
/// saving its input for reproduction).
struct FuzzDecoders: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Feed mutated PNG, JPEG and IDX bytes to the decoders; fail on a crash or a hang.")

    @Option(help: "Mutated cases per format.") var cases = 2000
    @Option(help: "Seed of the mutations.") var seed: UInt64 = 1
    @Option(help: "Seconds one case may take before it counts as a hang.") var caseLimit = 10.0
    @Option(help: "Folder for temporary IDX files and a hanging case's input.") var workDir = NSTemporaryDirectory()

    func run() throws {
        var rng = SeededGenerator(seed: seed)
        let seeds = try Self.seeds()
        let watchdog = Watchdog(limit: caseLimit, saveTo: "\(workDir)/fuzz-hang-input.bin")
        for (format, inputs) in seeds {
            var decoded = 0, rejected = 0
            var errors: [String: Int] = [:]
            for i in 0..<cases {
                var input = Mutator.mutate(inputs[i % inputs.count], rng: &rng)
                // Half the PNG cases get valid chunk CRCs again, so the mutation
                // reaches the header checks and the inflater instead of the CRC check.
                if format == "png", rng.next() & 1 == 0 { Mutator.fixPNGChecksums(&input) }
                watchdog.start(input, label: "\(format) case \(i)")
                let outcome = try Self.decode(format, input, workDir: workDir)
                watchdog.stop()
                switch outcome {
                case .success: decoded += 1
                case .failure(let e):
                    rejected += 1
                    // Group messages by their wording (digits stripped) to show the kinds.
                    errors[String(e.filter { !$0.isNumber }.prefix(60)), default: 0] += 1
                }
            }
            print("fuzz \(format): \(cases) cases, \(decoded) decoded, \(rejected) clear errors (\(errors.count) kinds), 0 crashes, 0 hangs")
        }
    }

    enum Outcome { case success, failure(String) }

    static func decode(_ format: String, _ input: [UInt8], workDir: String) throws -> Outcome {
        if format == "idx" || format == "idx.gz" {
            let path = "\(workDir)/fuzz-\(getpid()).\(format == "idx" ? "idx" : "idx.gz")"
            try Data(input).write(to: URL(fileURLWithPath: path))
            defer { unlink(path) }
            do { _ = try IDXFile(path: path); return .success } catch { return .failure("\(error)") }
        }
        do {
            let image = try ImageCodecs.decode(input)
            // A decoded image is internally consistent.
            precondition(image.pixels.count == image.width * image.height * image.channels, "inconsistent image")
            return .success
        } catch {
            return .failure("\(error)")
        }
    }

    /// Valid inputs of every kind the decoders take, to mutate.
    static func seeds() throws -> [(String, [[UInt8]])] {
        var rng = SeededGenerator(seed: 7)
        func samples(_ n: Int, max: Int) -> [UInt16] { (0..<n).map { _ in UInt16(rng.next() % UInt64(max + 1)) } }
        var png: [[UInt8]] = []
        for (type, depths) in [(PNGColorType.gray, [1, 2, 4, 8, 16]), (.rgb, [8, 16]), (.palette, [1, 2, 4, 8]),
                               (.grayAlpha, [8, 16]), (.rgba, [8, 16])] {
            for depth in depths {
                for interlaced in [false, true] {
                    let (w, h) = (5 + Int(rng.next() % 12), 3 + Int(rng.next() % 12))
                    let entries = min(16, 1 << depth)
                    let maxSample = type == .palette ? entries - 1 : (1 << depth) - 1
                    let palette = type == .palette ? (0..<(3 * entries)).map { _ in UInt8(rng.next() & 0xFF) } : []
                    png.append(try ImageCodecs.encodePNG(width: w, height: h, colorType: type, bitDepth: depth,
                                                         interlaced: interlaced,
                                                         samples: samples(w * h * type.samplesPerPixel, max: maxSample),
                                                         palette: palette))
                }
            }
        }
        var jpeg: [[UInt8]] = []
        for channels in [1, 3] {
            for (w, h, q) in [(8, 8, 90), (17, 11, 75), (33, 20, 50)] {
                let pixels = (0..<(w * h * channels)).map { _ in UInt8(rng.next() & 0xFF) }
                jpeg.append(try ImageCodecs.encodeJPEG(Image(width: w, height: h, channels: channels, pixels: pixels), quality: q))
            }
        }
        func idx(_ dims: [Int]) -> [UInt8] {
            var b: [UInt8] = [0, 0, 8, UInt8(dims.count)]
            for d in dims { b += [UInt8(d >> 24 & 0xFF), UInt8(d >> 16 & 0xFF), UInt8(d >> 8 & 0xFF), UInt8(d & 0xFF)] }
            return b + (0..<dims.reduce(1, *)).map { _ in UInt8(rng.next() & 0xFF) }
        }
        let idxs = [idx([3, 4, 4]), idx([10]), idx([2, 5, 3, 2])]
        return [("png", png), ("jpeg", jpeg), ("idx", idxs), ("idx.gz", try idxs.map(Gzip.compress))]
    }
}

/// Byte-level mutations of the kinds that break parsers: bit flips,
/// interesting values (0, 0xFF, 0x7F, 0x80) over header fields, truncation,
/// duplicated or deleted spans, random insertions.
enum Mutator {
    static func mutate(_ input: [UInt8], rng: inout SeededGenerator) -> [UInt8] {
        var b = input
        for _ in 0..<(1 + Int(rng.next() % 4)) {
            guard !b.isEmpty else { break }
            let at = Int(rng.next() % UInt64(b.count))
            switch rng.next() % 7 {
            case 0: b[at] ^= UInt8(1 << (rng.next() % 8))
            case 1: b[at] = [0, 0xFF, 0x7F, 0x80, 1][Int(rng.next() % 5)]
            case 2: b = Array(b.prefix(at))
            case 3:
                let n = min(b.count - at, 1 + Int(rng.next() % 16))
                b.insert(contentsOf: b[at..<(at + n)], at: at)
            case 4:
                let n = min(b.count - at, 1 + Int(rng.next() % 16))
                b.removeSubrange(at..<(at + n))
            case 5: b.insert(contentsOf: (0..<(1 + rng.next() % 8)).map { _ in UInt8(rng.next() & 0xFF) }, at: at)
            default:
                // Header fields live in the first bytes: hit them more often.
                let h = Int(rng.next() % UInt64(min(b.count, 40)))
                b[h] = UInt8(rng.next() & 0xFF)
            }
        }
        return b
    }
}

/// gzip bytes of `data` (through a temporary file: zlib's gz* API is the one
/// that writes the gzip container).
enum Gzip {
    static func compress(_ data: [UInt8]) throws -> [UInt8] {
        let path = NSTemporaryDirectory() + "/fuzz-seed-\(getpid()).gz"
        defer { unlink(path) }
        guard let gz = gzopen(path, "wb") else { throw ValidationError("cannot write \(path)") }
        _ = data.withUnsafeBytes { gzwrite(gz, $0.baseAddress, UInt32($0.count)) }
        gzclose_w(gz)
        return Array(try Data(contentsOf: URL(fileURLWithPath: path)))
    }
}

extension Mutator {
    /// Recomputes the CRC of every whole chunk after the 8-byte signature.
    static func fixPNGChecksums(_ b: inout [UInt8]) {
        var at = 8
        while at + 12 <= b.count {
            let length = Int(b[at]) << 24 | Int(b[at + 1]) << 16 | Int(b[at + 2]) << 8 | Int(b[at + 3])
            let end = at + 8 + length
            guard length >= 0, end + 4 <= b.count else { return }
            let crc = b[(at + 4)..<end].withUnsafeBufferPointer { UInt32(crc32(crc32(0, nil, 0), $0.baseAddress, UInt32($0.count))) }
            b[end] = UInt8(crc >> 24)
            b[end + 1] = UInt8(crc >> 16 & 0xFF)
            b[end + 2] = UInt8(crc >> 8 & 0xFF)
            b[end + 3] = UInt8(crc & 0xFF)
            at = end + 4
        }
    }
}

/// Aborts the process when one case runs longer than `limit` seconds,
/// leaving its input in `saveTo`.
/// Sendable: `current` is read and written only under `lock`.
final class Watchdog: @unchecked Sendable {
    let limit: Double, saveTo: String
    private let lock = NSLock()
    private var current: (input: [UInt8], label: String, started: Date)? = nil

    init(limit: Double, saveTo: String) {
        self.limit = limit
        self.saveTo = saveTo
        Thread.detachNewThread { [self] in
            while true {
                Thread.sleep(forTimeInterval: 0.2)
                lock.lock()
                let c = current
                lock.unlock()
                if let c, Date().timeIntervalSince(c.started) > limit {
                    try? Data(c.input).write(to: URL(fileURLWithPath: saveTo))
                    FileHandle.standardError.write(Data("fuzz: \(c.label) hangs (over \(limit) s); input saved to \(saveTo)\n".utf8))
                    exit(3)
                }
            }
        }
    }

    func start(_ input: [UInt8], label: String) {
        lock.lock()
        current = (input, label, Date())
        lock.unlock()
    }

    func stop() {
        lock.lock()
        current = nil
        lock.unlock()
    }
}

FuzzDecoders.main()
