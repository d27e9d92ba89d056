import Threads

/// Rows walked in blocks small enough to stay in L1 between the passes over
/// them (compute, round to bf16, sum the columns): each worker's chunk of
/// Parallel.forChunks, in row order, 16 KiB of float32 rows at a time. The
/// chunks are ColumnSums' chunks, so sums taken block by block have its order.
enum RowBlocks {
    /// Rows of `cols` floats per block.
    static func rows(_ cols: Int) -> Int { max(1, 4096 / max(cols, 1)) }

    /// `body(chunk, block)` for every block of `rows` rows of `cols` floats.
    static func forEach(rows: Int, cols: Int, _ body: @Sendable (_ chunk: Int, _ block: Range<Int>) -> Void) {
        let size = Self.rows(cols)
        Parallel.forChunks(rows) { chunk, range in
            for start in stride(from: range.lowerBound, to: range.upperBound, by: size) {
                body(chunk, start..<min(start + size, range.upperBound))
            }
        }
    }
}
