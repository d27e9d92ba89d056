import Foundation

/// Writes F32 tensors in the safetensors format.
public enum SafeTensorsWriter {
    /// A named tensor to write; its values are in row-major order.
    public struct Tensor {
        public let name: String
        public let shape: [Int]
        private let values: Values

        private enum Values {
            case array([Float])
            case buffer(UnsafeBufferPointer<Float>)
        }

        public init(name: String, shape: [Int], values: [Float]) {
            self.name = name
            self.shape = shape
            self.values = .array(values)
        }

        /// `values` are not copied: they must stay valid until `write` returns.
        public init(name: String, shape: [Int], values: UnsafeBufferPointer<Float>) {
            self.name = name
            self.shape = shape
            self.values = .buffer(values)
        }

        var count: Int {
            switch values {
            case .array(let array): array.count
            case .buffer(let buffer): buffer.count
            }
        }

        func withValues<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
            switch values {
            case .array(let array): try array.withUnsafeBufferPointer(body)
            case .buffer(let buffer): try body(buffer)
            }
        }
    }

    /// Writes `tensors` in the given order, replacing any file at `path` only once the new one is whole.
    public static func write(_ tensors: [Tensor], metadata: [String: String] = [:], to path: String) throws {
        let header = SafeTensorsHeader(metadata: metadata, tensors: try layout(tensors, path: path))
        try AtomicFile.write(path) { handle in
            try handle.write(contentsOf: header.encoded())
            for tensor in tensors { try tensor.withValues { try writeLittleEndian($0, to: handle) } }
        }
    }

    private static func layout(_ tensors: [Tensor], path: String) throws -> [TensorEntry] {
        var names: Set<String> = []
        var offset = 0
        return try tensors.map { tensor in
            func failure(_ problem: String) -> SafeTensorsError { SafeTensorsError(path, "tensor '\(tensor.name)': \(problem)") }
            guard tensor.name != SafeTensorsHeader.metadataKey else { throw failure("the name is reserved for metadata") }
            guard names.insert(tensor.name).inserted else { throw failure("the name is given twice") }
            guard let count = SafeTensorsHeader.elementCount(of: tensor.shape) else {
                throw failure("shape \(tensor.shape) has a negative dimension or is too large")
            }
            guard count == tensor.count else {
                throw failure("shape \(tensor.shape) has \(count) elements but \(tensor.count) values were given")
            }
            let bytes = offset..<(offset + count * MemoryLayout<Float>.size)
            offset = bytes.upperBound
            return TensorEntry(name: tensor.name, dtype: .f32, shape: tensor.shape, bytes: bytes)
        }
    }

    /// Through a bounded buffer, so a large tensor is not copied whole.
    private static func writeLittleEndian(_ values: UnsafeBufferPointer<Float>, to handle: FileHandle) throws {
        let chunkLength = 1 << 16, size = MemoryLayout<UInt32>.size
        var chunk = Data(count: min(values.count, chunkLength) * size)
        for start in stride(from: 0, to: values.count, by: chunkLength) {
            let end = min(start + chunkLength, values.count)
            chunk.withUnsafeMutableBytes { raw in
                for i in start..<end {
                    raw.storeBytes(of: values[i].bitPattern.littleEndian, toByteOffset: (i - start) * size, as: UInt32.self)
                }
            }
            try handle.write(contentsOf: chunk.prefix((end - start) * size))
        }
    }
}
