import Foundation

/// A safetensors file read whole into memory and checked; tensors are decoded
/// from that one buffer on request.
public struct SafeTensorsFile: Sendable {
    public let path: String
    public let metadata: [String: String]
    /// In the order of their bytes in the file.
    public let names: [String]
    private let entries: [String: TensorEntry]
    private let contents: Data
    private let dataStart: Int

    public static func read(path: String) throws -> SafeTensorsFile {
        guard FileManager.default.fileExists(atPath: path) else { throw SafeTensorsError(path, "no such file") }
        let contents: Data
        do {
            contents = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw SafeTensorsError(path, "cannot read (\(error.localizedDescription))")
        }
        return try SafeTensorsFile(path: path, contents: contents)
    }

    private init(path: String, contents: Data) throws {
        guard contents.count >= 8 else {
            throw SafeTensorsError(path, "not a safetensors file (\(contents.count) bytes, too short for the header length)")
        }
        let length = contents.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
        guard length <= UInt64(SafeTensorsHeader.maxLength) else {
            throw SafeTensorsError(path, "header length \(length) exceeds the limit of \(SafeTensorsHeader.maxLength) bytes")
        }
        guard length <= UInt64(contents.count - 8) else {
            throw SafeTensorsError(path, "header length \(length) exceeds the file (\(contents.count) bytes)")
        }
        let dataStart = 8 + Int(length)
        let header = try SafeTensorsHeader(json: contents.subdata(in: 8..<dataStart),
                                           dataSize: contents.count - dataStart, path: path)
        self.path = path
        metadata = header.metadata
        names = header.tensors.map(\.name)
        entries = Dictionary(uniqueKeysWithValues: header.tensors.map { ($0.name, $0) })
        self.contents = contents
        self.dataStart = dataStart
    }

    public func shape(_ name: String) throws -> [Int] { try entry(name).shape }

    public func dtype(_ name: String) throws -> SafeTensorsDType { try entry(name).dtype }

    /// The tensor's values in row-major order; F16 and BF16 widen exactly.
    public func floats(_ name: String) throws -> [Float] {
        let entry = try entry(name)
        return try contents.withUnsafeBytes { file in
            let bytes = UnsafeRawBufferPointer(rebasing: file[(dataStart + entry.bytes.lowerBound)..<(dataStart + entry.bytes.upperBound)])
            switch entry.dtype {
            case .f32: return Self.decode(bytes, as: UInt32.self, Float.init(bitPattern:))
            case .f16: return Self.decode(bytes, as: UInt16.self, HalfPrecision.float(fromF16:))
            case .bf16: return Self.decode(bytes, as: UInt16.self, HalfPrecision.float(fromBF16:))
            default:
                throw SafeTensorsError(path, "tensor '\(name)' has dtype \(entry.dtype.rawValue); floats are read from F32, F16 and BF16 only")
            }
        }
    }

    private func entry(_ name: String) throws -> TensorEntry {
        guard let entry = entries[name] else { throw SafeTensorsError(path, "tensor '\(name)' not found") }
        return entry
    }

    /// The data section is little-endian, and a header of any length may leave it unaligned.
    private static func decode<Bits: FixedWidthInteger>(_ bytes: UnsafeRawBufferPointer, as _: Bits.Type,
                                                        _ float: (Bits) -> Float) -> [Float] {
        let size = MemoryLayout<Bits>.size
        return (0..<(bytes.count / size)).map {
            float(Bits(littleEndian: bytes.loadUnaligned(fromByteOffset: $0 * size, as: Bits.self)))
        }
    }
}
