import CKernels
import Threads

/// out[j] += Σ_r x[r, j] over `rows` rows of `width`, summed the one way
/// every bias gradient is: the rows in Parallel.forChunks' chunks, each
/// chunk in row order into a zeroed per-worker partial, the partials then
/// added to `out` in chunk order (one chunk: straight into `out`). A pass
/// that walks those chunks anyway (rounding dy to bfloat16, GELU's backward)
/// takes the sums on its way, block by block while the rows are in cache,
/// with the bits of a separate pass over x.
struct ColumnSums: @unchecked Sendable {
    let width: Int
    private let out: SharedPointer<Float>
    private let partials: SharedPointer<Float>?
    private let chunks: Int
    /// Holds the partials' memory as long as the sums are taken.
    private let scratch: FloatBuffer?

    /// `scratch` holds the partials; without one the rows must make one chunk.
    init(into out: UnsafeMutablePointer<Float>, rows: Int, width: Int, scratch: FloatBuffer?) {
        self.width = width
        self.out = SharedPointer(out)
        self.scratch = scratch
        chunks = Parallel.chunkCount(rows)
        if chunks > 1 {
            guard let scratch else { preconditionFailure("column sums over several chunks need a scratch buffer") }
            let p = scratch.reserve(chunks * width)
            p.update(repeating: 0, count: chunks * width)
            partials = SharedPointer(p)
        } else {
            partials = nil
        }
    }

    /// Adds `count` contiguous rows at `x`, the next ones of chunk `chunk`.
    func add(_ x: UnsafePointer<Float>, rows count: Int, chunk: Int) {
        ck_column_sums_add(x, partials.map { $0.base + chunk * width } ?? out.base, count, width)
    }

    /// The partials into `out`, after every chunk's rows were added.
    func finish() {
        guard let partials else { return }
        for w in 0..<chunks { ck_add(partials.base + w * width, out.base, width) }
    }
}
