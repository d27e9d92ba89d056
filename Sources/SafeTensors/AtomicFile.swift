import Foundation

/// Writes a file through a temporary file in the same folder and a rename, so
/// the file at the path is only ever the old one or the whole new one.
enum AtomicFile {
    /// `body` writes the contents; on any failure the temporary file is removed.
    static func write(_ path: String, _ body: (FileHandle) throws -> Void) throws {
        let temporary = "\(path).tmp-\(UUID().uuidString)"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL, 0o644)
        guard descriptor >= 0 else {
            throw SafeTensorsError(path, "cannot create a temporary file beside it (\(String(cString: strerror(errno))))")
        }
        let handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
        do {
            try body(handle)
            // Flushed before the rename, so a crash cannot leave a renamed but empty file.
            try handle.synchronize()
            try handle.close()
        } catch {
            unlink(temporary)
            throw SafeTensorsError(path, "cannot write (\(error.localizedDescription))")
        }
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw SafeTensorsError(path, "cannot move the written file into place (\(reason))")
        }
    }
}
