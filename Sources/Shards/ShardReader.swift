import CHDF5
import Foundation

/// Reads a shard written by ShardWriter, checking that it is one.
public final class ShardReader {
    public let path: String
    public let attributes: ShardAttributes
    public let count: Int
    /// Samples per HDF5 chunk of `patches` (the unit a streamed read
    /// decompresses); for an unchunked dataset, about 1 MiB of samples.
    public let chunkRows: Int

    private var file: hid_t = -1
    private var patches: hid_t = -1

    public init(path: String) throws {
        self.path = path
        guard FileManager.default.fileExists(atPath: path) else { throw ShardError("\(path): shard file missing") }
        var f: hid_t = -1, ds: hid_t = -1
        var attrs: ShardAttributes? = nil
        var n = 0, chunk = 0
        try HDF5.locked {
            f = H5Fopen(path, ijepa_h5f_acc_rdonly(), h5pDefault)
            guard f >= 0 else { throw ShardError("\(path): not a readable HDF5 file (truncated or corrupt)") }
            do {
                let version = try HDF5.readAttributeInts(f, "format_version", path: path)
                guard version == [Int64(ShardAttributes.formatVersion)] else {
                    throw ShardError("\(path): shard format version \(version) is not \(ShardAttributes.formatVersion)")
                }
                let a = ShardAttributes(
                    split: try HDF5.readAttributeStrings(f, "split", path: path).first ?? "",
                    imageSize: Int(try HDF5.readAttributeInts(f, "image_size", path: path).first ?? 0),
                    patchSize: Int(try HDF5.readAttributeInts(f, "patch_size", path: path).first ?? 0),
                    channels: Int(try HDF5.readAttributeInts(f, "channels", path: path).first ?? 0),
                    classNames: try HDF5.readAttributeStrings(f, "class_names", path: path),
                    mean: try HDF5.readAttributeDoubles(f, "mean", path: path),
                    std: try HDF5.readAttributeDoubles(f, "std", path: path))
                guard a.patchSize > 0, a.imageSize % a.patchSize == 0, [1, 3].contains(a.channels) else {
                    throw ShardError("\(path): inconsistent shard attributes")
                }
                for name in ["patches", "labels", "source"] where H5Lexists(f, name, h5pDefault) <= 0 {
                    throw ShardError("\(path): not an I-JEPA shard (missing dataset '\(name)')")
                }
                ds = try HDF5.check(H5Dopen2(f, "patches", h5pDefault), path, "open patches")
                let dims = Self.dims(ds)
                guard dims.count == 3, dims[1] == a.numPatches, dims[2] == a.patchDim else {
                    throw ShardError("\(path): patches shape \(dims) does not match the attributes")
                }
                n = dims[0]
                let plist = H5Dget_create_plist(ds)
                var cd = [hsize_t](repeating: 0, count: 3)
                let rank = plist >= 0 ? H5Pget_chunk(plist, 3, &cd) : -1
                if plist >= 0 { H5Pclose(plist) }
                chunk = rank >= 1 && cd[0] > 0 ? Int(cd[0]) : max(1, (1 << 20) / max(1, a.numPatches * a.patchDim))
                guard try Self.length(f, "labels", path) == n, try Self.length(f, "source", path) == n else {
                    throw ShardError("\(path): labels/source length differs from patches")
                }
                attrs = a
            } catch {
                if ds >= 0 { H5Dclose(ds) }
                H5Fclose(f)
                throw error
            }
        }
        file = f
        patches = ds
        attributes = attrs!
        count = n
        chunkRows = chunk
    }

    /// The sizes of the chunks that cover the samples in order (the last
    /// one partial when count is not a multiple of chunkRows).
    public var chunkSizes: [Int] {
        stride(from: 0, to: count, by: chunkRows).map { min(chunkRows, count - $0) }
    }

    private static func dims(_ ds: hid_t) -> [Int] {
        let space = H5Dget_space(ds)
        defer { H5Sclose(space) }
        let nd = Int(H5Sget_simple_extent_ndims(space))
        var d = [hsize_t](repeating: 0, count: max(nd, 0))
        H5Sget_simple_extent_dims(space, &d, nil)
        return d.map { Int($0) }
    }

    private static func length(_ f: hid_t, _ name: String, _ path: String) throws -> Int {
        let ds = try HDF5.check(H5Dopen2(f, name, h5pDefault), path, "open \(name)")
        defer { H5Dclose(ds) }
        return dims(ds).first ?? -1
    }

    /// Reads samples [start, start+n) into `out` (n * numPatches * patchDim bytes).
    public func readPatches(start: Int, count n: Int, into out: UnsafeMutableRawPointer) throws {
        precondition(start >= 0 && n >= 0 && start + n <= count)
        if n == 0 { return }
        try HDF5.locked {
            let fspace = H5Dget_space(patches)
            defer { H5Sclose(fspace) }
            var s: [hsize_t] = [hsize_t(start), 0, 0]
            var c: [hsize_t] = [hsize_t(n), hsize_t(attributes.numPatches), hsize_t(attributes.patchDim)]
            try HDF5.check(H5Sselect_hyperslab(fspace, H5S_SELECT_SET, &s, nil, &c, nil), path, "select")
            let mspace = H5Screate_simple(3, &c, nil)
            defer { H5Sclose(mspace) }
            try HDF5.check(H5Dread(patches, ijepa_h5t_native_uint8(), mspace, fspace, h5pDefault, out),
                           path, "read patches (file truncated or corrupt?)")
        }
    }

    public func readPatches(start: Int, count n: Int) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: n * attributes.numPatches * attributes.patchDim)
        try out.withUnsafeMutableBytes { try readPatches(start: start, count: n, into: $0.baseAddress!) }
        return out
    }

    public func readLabels() throws -> [Int32] {
        try HDF5.locked {
            let ds = try HDF5.check(H5Dopen2(file, "labels", h5pDefault), path, "open labels")
            defer { H5Dclose(ds) }
            var out = [Int32](repeating: 0, count: count)
            if count > 0 {
                _ = try out.withUnsafeMutableBytes {
                    try HDF5.check(H5Dread(ds, ijepa_h5t_native_int32(), h5sAll, h5sAll, h5pDefault, $0.baseAddress),
                                   path, "read labels")
                }
            }
            return out
        }
    }

    public func readSources() throws -> [String] {
        try HDF5.locked {
            let ds = try HDF5.check(H5Dopen2(file, "source", h5pDefault), path, "open source")
            defer { H5Dclose(ds) }
            guard count > 0 else { return [] }
            let type = HDF5.stringType()
            defer { H5Tclose(type) }
            var ptrs = [UnsafeMutablePointer<CChar>?](repeating: nil, count: count)
            _ = try ptrs.withUnsafeMutableBytes {
                try HDF5.check(H5Dread(ds, type, h5sAll, h5sAll, h5pDefault, $0.baseAddress), path, "read source")
            }
            defer { ptrs.forEach { free($0) } }
            return ptrs.map { $0.map { String(cString: $0) } ?? "" }
        }
    }

    deinit {
        HDF5.locked {
            if patches >= 0 { H5Dclose(patches) }
            if file >= 0 { H5Fclose(file) }
        }
    }
}
