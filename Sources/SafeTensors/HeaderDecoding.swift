import Foundation

extension SafeTensorsHeader {
    /// Parses the header text and checks, as the reference loader does, that the
    /// tensors tile the `dataSize` bytes after the header exactly: no gap, no
    /// overlap, nothing left over.
    init(json: Data, dataSize: Int, path: String) throws {
        guard String(data: json, encoding: .utf8) != nil else {
            throw SafeTensorsError(path, "not a safetensors file (header is not UTF-8)")
        }
        guard let object = try? JSONSerialization.jsonObject(with: json) else {
            throw SafeTensorsError(path, "not a safetensors file (header is not JSON)")
        }
        guard let entries = object as? [String: Any] else {
            throw SafeTensorsError(path, "not a safetensors file (header is not a JSON object)")
        }
        var metadata: [String: String] = [:]
        var tensors: [TensorEntry] = []
        for (key, value) in entries {
            if key == Self.metadataKey {
                metadata = try Self.decodeMetadata(value, path: path)
            } else {
                tensors.append(try Self.decodeTensor(key, value, path: path))
            }
        }
        // Ties (adjacent empty tensors) are broken by name so the order is deterministic.
        tensors.sort { ($0.bytes.lowerBound, $0.bytes.upperBound, $0.name) < ($1.bytes.lowerBound, $1.bytes.upperBound, $1.name) }
        try Self.checkTiling(tensors, dataSize: dataSize, path: path)
        self.init(metadata: metadata, tensors: tensors)
    }

    private static func decodeMetadata(_ value: Any, path: String) throws -> [String: String] {
        guard let pairs = value as? [String: Any] else {
            throw SafeTensorsError(path, "\(metadataKey) is not a JSON object")
        }
        return try pairs.mapValues { text in
            guard let text = text as? String else {
                throw SafeTensorsError(path, "\(metadataKey) has a value that is not a string")
            }
            return text
        }
    }

    private static func decodeTensor(_ name: String, _ value: Any, path: String) throws -> TensorEntry {
        func failure(_ problem: String) -> SafeTensorsError { SafeTensorsError(path, "tensor '\(name)': \(problem)") }
        guard let fields = value as? [String: Any] else { throw failure("entry is not a JSON object") }
        guard let dtypeName = fields["dtype"] as? String else { throw failure("dtype is missing or not a string") }
        guard let dtype = SafeTensorsDType(rawValue: dtypeName) else { throw failure("unsupported dtype '\(dtypeName)'") }
        guard let shape = fields["shape"] as? [Int] else { throw failure("shape is missing or not a list of integers") }
        guard shape.allSatisfy({ $0 >= 0 }) else { throw failure("shape \(shape) has a negative dimension") }
        guard let offsets = fields["data_offsets"] as? [Int], offsets.count == 2 else {
            throw failure("data_offsets is missing or not a pair of integers")
        }
        guard offsets[0] >= 0, offsets[0] <= offsets[1] else {
            throw failure("data_offsets \(offsets) are not an ordered pair of non-negative integers")
        }
        guard let count = elementCount(of: shape) else { throw failure("shape \(shape) is too large") }
        let (byteCount, overflow) = count.multipliedReportingOverflow(by: dtype.byteSize)
        guard !overflow, offsets[1] - offsets[0] == byteCount else {
            throw failure("data_offsets \(offsets) do not match shape \(shape) of \(dtypeName)"
                + (overflow ? " (too large)" : " (\(byteCount) bytes)"))
        }
        return TensorEntry(name: name, dtype: dtype, shape: shape, bytes: offsets[0]..<offsets[1])
    }

    /// `tensors` sorted by offsets. Duplicate names, which JSONSerialization
    /// silently merges, show up here as a gap or an overlap.
    private static func checkTiling(_ tensors: [TensorEntry], dataSize: Int, path: String) throws {
        var previous: TensorEntry?
        for tensor in tensors {
            func failure(_ problem: String) -> SafeTensorsError {
                SafeTensorsError(path, "tensor '\(tensor.name)': data_offsets \(offsetText(tensor)) \(problem)")
            }
            let start = previous?.bytes.upperBound ?? 0
            if tensor.bytes.upperBound > dataSize { throw failure("exceed the data section (\(dataSize) bytes)") }
            if tensor.bytes.lowerBound < start, let previous {
                throw failure("overlap tensor '\(previous.name)' \(offsetText(previous))")
            }
            if tensor.bytes.lowerBound > start {
                let before = previous.map { "tensor '\($0.name)'" } ?? "the start of the data section"
                throw failure("leave a gap of \(tensor.bytes.lowerBound - start) bytes after \(before)")
            }
            previous = tensor
        }
        let end = previous?.bytes.upperBound ?? 0
        if end < dataSize {
            throw SafeTensorsError(path, "\(dataSize - end) bytes at the end of the data section belong to no tensor")
        }
    }

    private static func offsetText(_ tensor: TensorEntry) -> String {
        "[\(tensor.bytes.lowerBound), \(tensor.bytes.upperBound)]"
    }
}
