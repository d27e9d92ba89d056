/// The JSON header of a safetensors file: string metadata and where each
/// tensor's bytes lie in the data section that follows the header.
struct SafeTensorsHeader: Sendable {
    /// The reference loader's cap, so a corrupt length cannot make us read gigabytes.
    static let maxLength = 100_000_000
    static let metadataKey = "__metadata__"

    let metadata: [String: String]
    /// In the order of their bytes in the data section.
    let tensors: [TensorEntry]

    /// The product of `shape`, or nil for a negative dimension or an overflow.
    static func elementCount(of shape: [Int]) -> Int? {
        var count = 1
        for dimension in shape {
            guard dimension >= 0 else { return nil }
            let (product, overflow) = count.multipliedReportingOverflow(by: dimension)
            if overflow { return nil }
            count = product
        }
        return count
    }
}

struct TensorEntry: Sendable {
    let name: String
    let dtype: SafeTensorsDType
    let shape: [Int]
    /// Relative to the start of the data section.
    let bytes: Range<Int>
}
