import CHDF5
import CZlib
import Foundation
import Threads

/// Writes one shard: `patches` uint8 [n, num_patches, patch_dim] (chunked,
/// optionally deflated), `labels` int32 [n] (-1: unknown), `source` strings
/// [n] (the file or IDX index each sample came from). Datasets grow as
/// samples are appended, so memory stays bounded by one batch.
///
/// The patch data is most of the bytes, and HDF5's deflate filter would
/// compress it on one thread; instead whole chunks are deflated on all cores
/// (zlib, exactly the format of HDF5's filter) and stored with
/// H5Dwrite_chunk, so any HDF5 reader decompresses them as usual.
public final class ShardWriter {
    public let path: String
    public let attributes: ShardAttributes
    public private(set) var count = 0

    private let chunkSamples: Int
    private let gzipLevel: Int
    /// Samples not yet stored: fewer than a chunk after each append.
    private var pending: [UInt8] = []
    private var chunksWritten = 0

    private var file: hid_t = -1
    private var patches: hid_t = -1
    private var labels: hid_t = -1
    private var sources: hid_t = -1

    /// `chunkSamples` samples per HDF5 chunk; `gzipLevel` 0 disables deflate.
    public init(path: String, attributes: ShardAttributes, chunkSamples: Int = 256, gzipLevel: Int = 1) throws {
        self.path = path
        self.attributes = attributes
        self.chunkSamples = max(1, chunkSamples)
        self.gzipLevel = gzipLevel
        try HDF5.locked {
            file = try HDF5.check(H5Fcreate(path, ijepa_h5f_acc_excl(), h5pDefault, h5pDefault), path, "create file")
            do {
                let p = hsize_t(attributes.numPatches), d = hsize_t(attributes.patchDim)
                let chunk = hsize_t(max(1, chunkSamples))
                patches = try create("patches", dims: [0, p, d], chunk: [chunk, p, d],
                                     type: ijepa_h5t_native_uint8(), gzip: gzipLevel)
                labels = try create("labels", dims: [0], chunk: [4096], type: ijepa_h5t_native_int32(), gzip: gzipLevel)
                let st = HDF5.stringType()
                defer { H5Tclose(st) }
                sources = try create("source", dims: [0], chunk: [1024], type: st, gzip: gzipLevel)
                try writeAttributes()
            } catch {
                closeAll()
                throw error
            }
        }
    }

    private func create(_ name: String, dims: [hsize_t], chunk: [hsize_t], type: hid_t, gzip: Int) throws -> hid_t {
        var cur = dims
        var maxd = dims
        maxd[0] = ijepa_h5s_unlimited()
        let space = try HDF5.check(H5Screate_simple(Int32(dims.count), &cur, &maxd), path, "dataspace \(name)")
        defer { H5Sclose(space) }
        let plist = H5Pcreate(ijepa_h5p_dataset_create())
        defer { H5Pclose(plist) }
        var ch = chunk
        try HDF5.check(H5Pset_chunk(plist, Int32(ch.count), &ch), path, "chunk \(name)")
        if gzip > 0 { try HDF5.check(H5Pset_deflate(plist, UInt32(gzip)), path, "deflate \(name)") }
        return try HDF5.check(H5Dcreate2(file, name, type, space, h5pDefault, plist, h5pDefault),
                              path, "create dataset \(name)")
    }

    private func writeAttributes() throws {
        let a = attributes
        try HDF5.writeAttribute(file, "format_version", ints: [Int64(ShardAttributes.formatVersion)], path: path)
        try HDF5.writeAttribute(file, "split", strings: [a.split], scalar: true, path: path)
        try HDF5.writeAttribute(file, "image_size", ints: [Int64(a.imageSize)], path: path)
        try HDF5.writeAttribute(file, "patch_size", ints: [Int64(a.patchSize)], path: path)
        try HDF5.writeAttribute(file, "grid", ints: [Int64(a.gridSize), Int64(a.gridSize)], path: path)
        try HDF5.writeAttribute(file, "channels", ints: [Int64(a.channels)], path: path)
        try HDF5.writeAttribute(file, "class_names", strings: a.classNames, path: path)
        try HDF5.writeAttribute(file, "mean", doubles: a.mean, path: path)
        try HDF5.writeAttribute(file, "std", doubles: a.std, path: path)
    }

    /// Appends `n` samples: `patchBytes` holds n * numPatches * patchDim bytes.
    public func append(patchBytes: UnsafeRawBufferPointer, labels newLabels: [Int32], sources newSources: [String]) throws {
        let n = newLabels.count
        precondition(newSources.count == n && patchBytes.count == n * attributes.numPatches * attributes.patchDim)
        if n == 0 { return }
        pending.append(contentsOf: patchBytes)
        let sampleBytes = attributes.numPatches * attributes.patchDim
        let full = pending.count / (chunkSamples * sampleBytes)
        try writeChunks(full, total: count + n)
        try HDF5.locked {
            try newLabels.withUnsafeBytes {
                try extendAndWrite(labels, rowShape: [], n: n, type: ijepa_h5t_native_int32(), data: $0.baseAddress!)
            }
            let st = HDF5.stringType()
            defer { H5Tclose(st) }
            try HDF5.withCStrings(newSources) { try extendAndWrite(sources, rowShape: [], n: n, type: st, data: $0) }
            count += n
        }
    }

    /// Compresses the first `chunks` whole chunks of `pending` in parallel
    /// and stores them; the patches extent becomes `total` samples.
    private func writeChunks(_ chunks: Int, total: Int) throws {
        let sampleBytes = attributes.numPatches * attributes.patchDim
        let chunkBytes = chunkSamples * sampleBytes
        guard chunks > 0 else {
            try HDF5.locked { try setPatchesExtent(total) }
            return
        }
        let bound = Int(compressBound(uLong(chunkBytes)))
        var out = [UInt8](repeating: 0, count: chunks * bound)
        var sizes = [Int](repeating: 0, count: chunks)
        let level = Int32(gzipLevel)
        pending.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                sizes.withUnsafeMutableBufferPointer { sz in
                    let s = SharedReadPointer(src.baseAddress!)
                    let d = SharedPointer(dst.baseAddress!), z = SharedPointer(sz.baseAddress!)
                    Parallel.forEach(chunks) { c in
                        if level == 0 {
                            (d.base + c * bound).update(from: s.base + c * chunkBytes, count: chunkBytes)
                            z.base[c] = chunkBytes
                        } else {
                            var len = uLong(bound)
                            let rc = compress2(d.base + c * bound, &len, s.base + c * chunkBytes, uLong(chunkBytes), level)
                            z.base[c] = rc == Z_OK ? Int(len) : -1
                        }
                    }
                }
            }
        }
        try HDF5.locked {
            try setPatchesExtent(total)
            for c in 0..<chunks {
                guard sizes[c] >= 0 else { throw ShardError("\(path): zlib compression failed") }
                var offset: [hsize_t] = [hsize_t((chunksWritten + c) * chunkSamples), 0, 0]
                _ = try out.withUnsafeBytes {
                    try HDF5.check(H5Dwrite_chunk(patches, h5pDefault, 0, &offset, sizes[c], $0.baseAddress! + c * bound),
                                   path, "write chunk")
                }
            }
        }
        chunksWritten += chunks
        pending.removeFirst(chunks * chunkBytes)
    }

    private func setPatchesExtent(_ n: Int) throws {
        var dims: [hsize_t] = [hsize_t(n), hsize_t(attributes.numPatches), hsize_t(attributes.patchDim)]
        try HDF5.check(H5Dset_extent(patches, &dims), path, "extend dataset")
    }

    private func extendAndWrite(_ ds: hid_t, rowShape: [hsize_t], n: Int, type: hid_t, data: UnsafeRawPointer) throws {
        var newDims = [hsize_t(count + n)] + rowShape
        try HDF5.check(H5Dset_extent(ds, &newDims), path, "extend dataset")
        let fspace = H5Dget_space(ds)
        defer { H5Sclose(fspace) }
        var start = [hsize_t(count)] + rowShape.map { _ in 0 }
        var cnt = [hsize_t(n)] + rowShape
        try HDF5.check(H5Sselect_hyperslab(fspace, H5S_SELECT_SET, &start, nil, &cnt, nil), path, "select")
        let mspace = H5Screate_simple(Int32(cnt.count), &cnt, nil)
        defer { H5Sclose(mspace) }
        try HDF5.check(H5Dwrite(ds, type, mspace, fspace, h5pDefault, data), path, "write")
    }

    /// Flushes and closes the file; the writer is unusable afterwards.
    public func close() throws {
        if file >= 0, !pending.isEmpty {
            // The last, partial chunk: stored full size (HDF5 chunks are),
            // zero padded beyond the dataset's extent.
            let chunkBytes = chunkSamples * attributes.numPatches * attributes.patchDim
            pending.append(contentsOf: [UInt8](repeating: 0, count: chunkBytes - pending.count))
            try writeChunks(1, total: count)
        }
        try HDF5.locked {
            guard file >= 0 else { return }
            let ok = H5Fflush(file, H5F_SCOPE_LOCAL) >= 0, e = errno
            closeAll()
            if !ok { throw HDF5.failure(path, "flush", errno: e) }
        }
    }

    private func closeAll() {
        for ds in [patches, labels, sources] where ds >= 0 { H5Dclose(ds) }
        if file >= 0 { H5Fclose(file) }
        patches = -1; labels = -1; sources = -1; file = -1
    }

    deinit { HDF5.locked { closeAll() } }

    /// Sets the normalisation statistics of a finished shard (known only once
    /// all train shards are written).
    public static func setStatistics(path: String, mean: [Double], std: [Double]) throws {
        try HDF5.locked {
            let f = try HDF5.check(H5Fopen(path, ijepa_h5f_acc_rdwr(), h5pDefault), path, "open for update")
            defer { H5Fclose(f) }
            try HDF5.writeAttribute(f, "mean", doubles: mean, path: path)
            try HDF5.writeAttribute(f, "std", doubles: std, path: path)
        }
    }

    public static var libraryVersion: String { HDF5.locked { HDF5.version } }
}
