import CHDF5
import Foundation

/// Writes named numeric datasets (groups created as needed) and root
/// attributes: checkpoints and debug states that PyTorch users read with h5py.
public final class HDF5Writer {
    public let path: String
    private var file: hid_t
    private let lcpl: hid_t

    /// Creates (truncates) the file.
    public init(path: String) throws {
        self.path = path
        (file, lcpl) = try HDF5.locked {
            let f = try HDF5.check(H5Fcreate(path, ijepa_h5f_acc_trunc(), h5pDefault, h5pDefault), path, "create file")
            let l = H5Pcreate(ijepa_h5p_link_create())
            H5Pset_create_intermediate_group(l, 1)
            return (f, l)
        }
    }

    public func write(_ name: String, floats: UnsafePointer<Float>, shape: [Int]) throws {
        try write(name, data: UnsafeRawPointer(floats), shape: shape, type: ijepa_h5t_native_float())
    }

    public func write(_ name: String, floats: [Float], shape: [Int]) throws {
        try floats.withUnsafeBufferPointer { try write(name, floats: $0.baseAddress!, shape: shape) }
    }

    public func write(_ name: String, doubles: [Double], shape: [Int]) throws {
        try doubles.withUnsafeBytes { try write(name, data: $0.baseAddress!, shape: shape, type: ijepa_h5t_native_double()) }
    }

    public func write(_ name: String, int32s: [Int32], shape: [Int]) throws {
        try int32s.withUnsafeBytes { try write(name, data: $0.baseAddress!, shape: shape, type: ijepa_h5t_native_int32()) }
    }

    private func write(_ name: String, data: UnsafeRawPointer, shape: [Int], type: hid_t) throws {
        try HDF5.locked {
            var dims = shape.map { hsize_t($0) }
            let space = try HDF5.check(shape.isEmpty ? H5Screate(H5S_SCALAR) : H5Screate_simple(Int32(dims.count), &dims, nil),
                                       path, "dataspace \(name)")
            defer { H5Sclose(space) }
            let ds = try HDF5.check(H5Dcreate2(file, name, type, space, lcpl, h5pDefault, h5pDefault), path, "create \(name)")
            defer { H5Dclose(ds) }
            try HDF5.check(H5Dwrite(ds, type, h5sAll, h5sAll, h5pDefault, data), path, "write \(name)")
        }
    }

    public func setAttribute(_ name: String, int: Int) throws {
        try HDF5.locked { try HDF5.writeAttribute(file, name, ints: [Int64(int)], path: path) }
    }

    public func setAttribute(_ name: String, string: String) throws {
        try HDF5.locked { try HDF5.writeAttribute(file, name, strings: [string], scalar: true, path: path) }
    }

    public func close() throws {
        try HDF5.locked {
            guard file >= 0 else { return }
            let ok = H5Fflush(file, H5F_SCOPE_LOCAL) >= 0, e = errno
            H5Pclose(lcpl)
            H5Fclose(file)
            file = -1
            if !ok { throw HDF5.failure(path, "flush", errno: e) }
        }
    }

    deinit { try? close() }
}

extension HDF5File {
    public func stringAttribute(_ name: String) throws -> String {
        try HDF5.locked { try HDF5.readAttributeStrings(handle, name, path: path).first ?? "" }
    }
}
