import CHDF5
import Foundation

/// Thin, checked access to the HDF5 C library. The Debian build is not
/// thread-safe, so every call made through this module holds one lock.
enum HDF5 {
    static let lock = NSRecursiveLock()

    static let initialized: Bool = {
        H5open()
        ijepa_h5_silence_errors()
        return true
    }()

    static func locked<T>(_ body: () throws -> T) rethrows -> T {
        _ = initialized
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }

    /// Checks an hid_t/herr_t result: negative means failure.
    @discardableResult
    static func check<T: BinaryInteger>(_ r: T, _ path: String, _ what: String) throws -> T {
        if r < 0 { throw failure(path, what, errno: errno) }
        return r
    }

    /// The error of a failed HDF5 call. HDF5's own message names neither
    /// cause nor remedy; a failed write() leaves errno set (read it right
    /// after the call), and these causes are the user's to fix.
    static func failure(_ path: String, _ what: String, errno e: Int32) -> ShardError {
        if [ENOSPC, EFBIG, EDQUOT].contains(e) {
            return ShardError("\(path): HDF5 \(what) failed: \(String(cString: strerror(e))) (disk full or file size limit?)")
        }
        return ShardError("\(path): HDF5 \(what) failed")
    }

    static var version: String {
        var maj: UInt32 = 0, min: UInt32 = 0, rel: UInt32 = 0
        H5get_libversion(&maj, &min, &rel)
        return "\(maj).\(min).\(rel)"
    }

    // MARK: attributes

    /// One int is written as a scalar, several as a 1-D array.
    static func writeAttribute(_ obj: hid_t, _ name: String, ints: [Int64], path: String) throws {
        try writeNumeric(obj, name, ints, ijepa_h5t_native_int64(), scalar: ints.count == 1, path: path)
    }

    /// Always a 1-D array (per-channel values stay arrays for one channel).
    static func writeAttribute(_ obj: hid_t, _ name: String, doubles: [Double], path: String) throws {
        try writeNumeric(obj, name, doubles, ijepa_h5t_native_double(), scalar: false, path: path)
    }

    private static func writeNumeric<T>(_ obj: hid_t, _ name: String, _ values: [T], _ type: hid_t, scalar: Bool,
                                        path: String) throws {
        var dims = [hsize_t(values.count)]
        let space = try check(scalar ? H5Screate(H5S_SCALAR) : H5Screate_simple(1, &dims, nil), path, "dataspace")
        defer { H5Sclose(space) }
        if H5Aexists(obj, name) > 0 { H5Adelete(obj, name) }
        let attr = try check(H5Acreate2(obj, name, type, space, h5pDefault, h5pDefault), path, "create attribute \(name)")
        defer { H5Aclose(attr) }
        _ = try values.withUnsafeBytes { try check(H5Awrite(attr, type, $0.baseAddress), path, "write attribute \(name)") }
    }

    /// Variable-length UTF-8 strings (h5py reads them as `str`).
    static func stringType() -> hid_t {
        let t = H5Tcopy(ijepa_h5t_c_s1())
        H5Tset_size(t, Int(bitPattern: UInt(bitPattern: -1)))  // H5T_VARIABLE
        H5Tset_cset(t, H5T_CSET_UTF8)
        return t
    }

    static func writeAttribute(_ obj: hid_t, _ name: String, strings: [String], scalar: Bool = false, path: String) throws {
        let type = stringType()
        defer { H5Tclose(type) }
        var dims = [hsize_t(strings.count)]
        let space = try check(scalar ? H5Screate(H5S_SCALAR) : H5Screate_simple(1, &dims, nil), path, "dataspace")
        defer { H5Sclose(space) }
        if H5Aexists(obj, name) > 0 { H5Adelete(obj, name) }
        let attr = try check(H5Acreate2(obj, name, type, space, h5pDefault, h5pDefault), path, "create attribute \(name)")
        defer { H5Aclose(attr) }
        _ = try withCStrings(strings) { ptrs in
            try check(H5Awrite(attr, type, ptrs), path, "write attribute \(name)")
        }
    }

    static func withCStrings<R>(_ strings: [String], _ body: (UnsafeRawPointer) throws -> R) rethrows -> R {
        let cs = strings.map { strdup($0)! }
        defer { cs.forEach { free($0) } }
        var ptrs: [UnsafePointer<CChar>?] = cs.map { UnsafePointer($0) }
        return try ptrs.withUnsafeMutableBytes { try body($0.baseAddress!) }
    }

    static func readAttributeInts(_ obj: hid_t, _ name: String, path: String) throws -> [Int64] {
        try readNumeric(obj, name, ijepa_h5t_native_int64(), path: path, zero: Int64(0))
    }

    static func readAttributeDoubles(_ obj: hid_t, _ name: String, path: String) throws -> [Double] {
        try readNumeric(obj, name, ijepa_h5t_native_double(), path: path, zero: 0.0)
    }

    private static func readNumeric<T>(_ obj: hid_t, _ name: String, _ type: hid_t, path: String, zero: T) throws -> [T] {
        guard H5Aexists(obj, name) > 0 else { throw ShardError("\(path): missing attribute '\(name)'") }
        let attr = try check(H5Aopen(obj, name, h5pDefault), path, "open attribute \(name)")
        defer { H5Aclose(attr) }
        let space = H5Aget_space(attr)
        defer { H5Sclose(space) }
        let n = Int(H5Sget_simple_extent_npoints(space))
        var out = [T](repeating: zero, count: n)
        _ = try out.withUnsafeMutableBytes { try check(H5Aread(attr, type, $0.baseAddress), path, "read attribute \(name)") }
        return out
    }

    static func readAttributeStrings(_ obj: hid_t, _ name: String, path: String) throws -> [String] {
        guard H5Aexists(obj, name) > 0 else { throw ShardError("\(path): missing attribute '\(name)'") }
        let attr = try check(H5Aopen(obj, name, h5pDefault), path, "open attribute \(name)")
        defer { H5Aclose(attr) }
        let space = H5Aget_space(attr)
        defer { H5Sclose(space) }
        let n = Int(H5Sget_simple_extent_npoints(space))
        let type = stringType()
        defer { H5Tclose(type) }
        var ptrs = [UnsafeMutablePointer<CChar>?](repeating: nil, count: n)
        _ = try ptrs.withUnsafeMutableBytes { try check(H5Aread(attr, type, $0.baseAddress), path, "read attribute \(name)") }
        defer { ptrs.forEach { free($0) } }
        return ptrs.map { $0.map { String(cString: $0) } ?? "" }
    }
}

public struct ShardError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

// H5P_DEFAULT and H5S_ALL import as Int32 literals; HDF5 wants hid_t.
let h5pDefault = hid_t(H5P_DEFAULT)
let h5sAll = hid_t(H5S_ALL)
