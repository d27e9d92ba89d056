#if canImport(Glibc)
import Glibc
#endif

/// This process's memory as the kernel counts it.
public enum ResidentMemory {
    /// Peak resident set size so far, in bytes (getrusage; Linux reports KiB).
    public static func peakBytes() -> Int {
        #if canImport(Glibc)
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return usage.ru_maxrss * 1024
        #else
        return 0
        #endif
    }
}
