import CHDF5
import Foundation

/// Read access to any HDF5 file's numeric datasets and attributes by path
/// (reference fixtures, checkpoints from other tools).
public final class HDF5File {
    public let path: String
    let handle: hid_t

    public init(path: String) throws {
        self.path = path
        handle = try HDF5.locked {
            let f = H5Fopen(path, ijepa_h5f_acc_rdonly(), h5pDefault)
            guard f >= 0 else { throw ShardError("\(path): not a readable HDF5 file") }
            return f
        }
    }

    deinit { _ = HDF5.locked { H5Fclose(handle) } }

    public func exists(_ name: String) -> Bool {
        HDF5.locked {
            // Check each path component, as H5Lexists requires.
            var prefix = ""
            for part in name.split(separator: "/") {
                prefix += (prefix.isEmpty ? "" : "/") + part
                if H5Lexists(handle, prefix, h5pDefault) <= 0 { return false }
            }
            return true
        }
    }

    public func shape(_ name: String) throws -> [Int] {
        try HDF5.locked {
            let ds = try HDF5.check(H5Dopen2(handle, name, h5pDefault), path, "open \(name)")
            defer { H5Dclose(ds) }
            let space = H5Dget_space(ds)
            defer { H5Sclose(space) }
            let nd = Int(H5Sget_simple_extent_ndims(space))
            var d = [hsize_t](repeating: 0, count: nd)
            H5Sget_simple_extent_dims(space, &d, nil)
            return d.map { Int($0) }
        }
    }

    private func read<T>(_ name: String, _ type: hid_t, zero: T) throws -> [T] {
        let n = try shape(name).reduce(1, *)
        return try HDF5.locked {
            let ds = try HDF5.check(H5Dopen2(handle, name, h5pDefault), path, "open \(name)")
            defer { H5Dclose(ds) }
            var out = [T](repeating: zero, count: n)
            _ = try out.withUnsafeMutableBytes {
                try HDF5.check(H5Dread(ds, type, h5sAll, h5sAll, h5pDefault, $0.baseAddress), path, "read \(name)")
            }
            return out
        }
    }

    /// Any numeric dataset, converted by HDF5 to the requested type.
    public func floats(_ name: String) throws -> [Float] { try read(name, ijepa_h5t_native_float(), zero: 0) }
    public func doubles(_ name: String) throws -> [Double] { try read(name, ijepa_h5t_native_double(), zero: 0) }
    public func int32s(_ name: String) throws -> [Int32] { try read(name, ijepa_h5t_native_int32(), zero: 0) }

    public func intAttribute(_ name: String) throws -> Int {
        try HDF5.locked { Int(try HDF5.readAttributeInts(handle, name, path: path).first ?? 0) }
    }
}

extension HDF5File {
    public func doubleAttribute(_ name: String) throws -> Double {
        try HDF5.locked { try HDF5.readAttributeDoubles(handle, name, path: path).first ?? .nan }
    }
}
