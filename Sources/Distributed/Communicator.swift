import Foundation
#if IJEPA_MPI
import MPIShim
#endif

/// The processes of a data-parallel job and the collectives they share.
/// In the MPI build (`IJEPA_MPI`, `make build-mpi`) a process started by an
/// MPI launcher (mpirun, srun) joins MPI_COMM_WORLD; otherwise, and always in
/// the default build, it is a world of one and every collective is a no-op.
/// Sendable: rank, size and mode are `let`s; collectives are called from the training thread only, one at a time, as MPI_THREAD_FUNNELED requires.
public final class Communicator: @unchecked Sendable {
    public let rank: Int
    public let size: Int
    public var isRoot: Bool { rank == 0 }
    private let usesMPI: Bool

    public static let world = Communicator()

    #if IJEPA_MPI
    public static let isMPIBuild = true
    #else
    public static let isMPIBuild = false
    #endif

    /// Ranks the launcher announced in the environment (Open MPI, PMIx, or
    /// Slurm's PMI), or nil when the process was not started by one.
    public static var launcherWorldSize: Int? {
        let env = ProcessInfo.processInfo.environment
        for key in ["OMPI_COMM_WORLD_SIZE", "PMIX_SIZE", "PMI_SIZE"] {
            if let s = env[key], let n = Int(s) { return n }
        }
        return nil
    }

    private init() {
        #if IJEPA_MPI
        if Self.launcherWorldSize != nil || ProcessInfo.processInfo.environment["PMIX_RANK"] != nil {
            var r: Int32 = 0, s: Int32 = 1
            ij_mpi_init(&r, &s)
            rank = Int(r); size = Int(s); usesMPI = true
            return
        }
        #endif
        rank = 0; size = 1; usesMPI = false
    }

    /// Why this process cannot run the job it was started in, or nil: the
    /// default build under mpirun would train N independent copies that all
    /// write the same artifact.
    public static func launchProblem() -> String? {
        if !isMPIBuild, let n = launcherWorldSize, n > 1 {
            return "started as one of \(n) MPI ranks, but this Pretrain was built without MPI: build it with `make build-mpi` and run .build-mpi/release/Pretrain"
        }
        return nil
    }

    /// Call once at the end of a successful run (MPI_Finalize).
    public func finish() {
        #if IJEPA_MPI
        if usesMPI { ij_mpi_finalize() }
        #endif
    }

    /// Ends the whole job under MPI (MPI_Abort does not return): one failing
    /// rank must not leave the others waiting in a collective forever.
    /// Without MPI it returns, and the executable exits.
    public func abort(code: Int32) {
        #if IJEPA_MPI
        if usesMPI { ij_mpi_abort(code) }
        #endif
    }

    /// In-place sum over ranks.
    public func sum(_ p: UnsafeMutablePointer<Float>, count: Int) {
        #if IJEPA_MPI
        if usesMPI && size > 1 { ij_mpi_allreduce_sum_f32(p, count) }
        #endif
    }

    public func sum(_ values: [Double]) -> [Double] {
        var v = values
        #if IJEPA_MPI
        if usesMPI && size > 1 { v.withUnsafeMutableBufferPointer { ij_mpi_allreduce_sum_f64($0.baseAddress!, Int32($0.count)) } }
        #endif
        return v
    }

    /// Element-wise minimum and maximum over ranks.
    public func range(_ values: [UInt64]) -> (min: [UInt64], max: [UInt64]) {
        var lo = values, hi = values
        #if IJEPA_MPI
        if usesMPI && size > 1 {
            lo.withUnsafeMutableBufferPointer { ij_mpi_allreduce_min_u64($0.baseAddress!, Int32($0.count)) }
            hi.withUnsafeMutableBufferPointer { ij_mpi_allreduce_max_u64($0.baseAddress!, Int32($0.count)) }
        }
        #endif
        return (lo, hi)
    }

    /// Rank `root`'s bytes onto every rank.
    public func broadcast(_ p: UnsafeMutableRawPointer, bytes: Int, root: Int = 0) {
        #if IJEPA_MPI
        if usesMPI && size > 1 { ij_mpi_bcast(p, bytes, Int32(root)) }
        #endif
    }

    public func broadcast(_ value: Int, root: Int = 0) -> Int {
        var v = Int64(value)
        broadcast(&v, bytes: 8, root: root)
        return Int(v)
    }

    /// A started in-place sum; `wait` completes it.
    public final class Request {
        fileprivate var handle: UnsafeMutableRawPointer?
        fileprivate init(_ h: UnsafeMutableRawPointer?) { handle = h }
    }

    /// Starts an in-place sum of at most Int32.max floats.
    public func startSum(_ p: UnsafeMutablePointer<Float>, count: Int) -> Request {
        precondition(count <= Int(Int32.max))
        #if IJEPA_MPI
        if usesMPI && size > 1 { return Request(ij_mpi_iallreduce_sum_f32(p, Int32(count))) }
        #endif
        return Request(nil)
    }

    public func wait(_ request: Request) {
        #if IJEPA_MPI
        if let h = request.handle { ij_mpi_wait(h); request.handle = nil }
        #endif
    }
}
