#if canImport(Glibc)
import CMalloc
#endif

public enum Allocator {
    /// Keeps freed large blocks in the heap instead of returning them to the
    /// kernel. Per-image buffers (decoded images, resize scratch) are hundreds
    /// of KiB; glibc would mmap and munmap each one, and on 2 cores the page
    /// faults and the address-space lock more than halved Prepare's
    /// throughput on JPEG folders (248 vs 555 images/s, measured).
    public static func keepLargeBlocks() {
        #if canImport(Glibc)
        _ = mallopt(M_MMAP_THRESHOLD, 256 << 20)
        _ = mallopt(M_TRIM_THRESHOLD, 1 << 30)
        _ = mallopt(M_TOP_PAD, 64 << 20)
        #endif
    }
}
