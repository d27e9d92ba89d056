import CDNNL
import CKernels
import Foundation
import Threads

/// What a GEMM multiplies: float32 operands, or operands rounded to
/// bfloat16 (round to nearest even) with products accumulated in float32,
/// the arithmetic of PyTorch's CPU autocast.
public enum MatmulPrecision: String, Sendable, CaseIterable {
    case float32, bfloat16
}

/// bf16 x bf16 -> f32 GEMMs. Native: oneDNN's matmul on AVX512_BF16
/// (`brg:avx512_core_bf16`; oneDNN 2.6's fpmath mode does not reach it for
/// f32 operands, so the operands are converted here). Emulated, on CPUs
/// without it: the same rounded values as float32, multiplied by the f32
/// GEMM, so both routes multiply identical numbers and differ only in
/// summation order. `IJEPA_BF16=emulate` forces the emulation.
public enum BFloat16GEMM {
    public enum Route: String, Sendable { case native, emulated }

    /// Whether oneDNN runs AVX512_BF16 code on this CPU.
    public static let nativeAvailable: Bool = {
        let isa = dnnl_get_effective_cpu_isa().rawValue
        let bf16 = dnnl_cpu_isa_avx512_core_bf16.rawValue
        return isa & bf16 == bf16
    }()

    public static let route: Route = {
        if ProcessInfo.processInfo.environment["IJEPA_BF16"] == "emulate" { return .emulated }
        return nativeAvailable ? .native : .emulated
    }()

    /// For manifests, benchmarks and the start-of-run line.
    public static var routeDescription: String {
        switch route {
        case .native: return "bfloat16 GEMMs: oneDNN matmul on AVX512_BF16"
        case .emulated:
            return nativeAvailable
                ? "bfloat16 GEMMs: emulated (IJEPA_BF16=emulate), float32 GEMMs on bf16-rounded operands"
                : "bfloat16 GEMMs: emulated (this CPU has no AVX512_BF16), float32 GEMMs on bf16-rounded operands: slower than float32"
        }
    }

    /// c = alpha · op(a) · op(b) + beta · c, the operands rounded to bf16.
    static func gemm(_ transA: Bool, _ transB: Bool, _ m: Int, _ n: Int, _ k: Int, _ alpha: Float,
                     _ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>, _ ldb: Int,
                     _ beta: Float, _ c: UnsafeMutablePointer<Float>, _ ldc: Int, route: Route = route) {
        // The operands as stored: rows x cols with a leading dimension.
        let (aRows, aCols) = transA ? (k, m) : (m, k)
        let (bRows, bCols) = transB ? (n, k) : (k, n)
        let scratch = Operands.take()
        defer { Operands.give(scratch) }
        switch route {
        case .emulated:
            let ra = scratch.a.reserve(aRows * aCols), rb = scratch.b.reserve(bRows * bCols)
            roundRows(a, aRows, aCols, lda, into: ra)
            roundRows(b, bRows, bCols, ldb, into: rb)
            GEMM.float32(transA, transB, m, n, k, alpha, ra, aCols, rb, bCols, beta, c, ldc)
        case .native:
            precondition(nativeAvailable, "native bfloat16 GEMMs need AVX512_BF16")
            // Two bf16 per float of scratch.
            let ha = UnsafeMutableRawPointer(scratch.a.reserve((aRows * aCols + 1) / 2))
                .bindMemory(to: UInt16.self, capacity: aRows * aCols)
            let hb = UnsafeMutableRawPointer(scratch.b.reserve((bRows * bCols + 1) / 2))
                .bindMemory(to: UInt16.self, capacity: bRows * bCols)
            convertRows(a, aRows, aCols, lda, into: ha)
            convertRows(b, bRows, bCols, ldb, into: hb)
            let shape = Matmul.Shape(transA: transA, transB: transB, m: m, n: n, k: k, ldc: ldc, alpha: alpha, beta: beta)
            Matmul.run(Matmul.primitive(shape), a: ha, b: hb, c: c)
        }
    }

    /// Rows split over the workers (outside a parallel region).
    private static func roundRows(_ src: UnsafePointer<Float>, _ rows: Int, _ cols: Int, _ ld: Int,
                                  into dst: UnsafeMutablePointer<Float>) {
        let s = SharedReadPointer(src), d = SharedPointer(dst)
        Parallel.forChunks(rows) { _, r in
            ck_round_bf16(s.base + r.lowerBound * ld, r.count, cols, ld, d.base + r.lowerBound * cols)
        }
    }

    private static func convertRows(_ src: UnsafePointer<Float>, _ rows: Int, _ cols: Int, _ ld: Int,
                                    into dst: UnsafeMutablePointer<UInt16>) {
        let s = SharedReadPointer(src), d = SharedPointer(dst)
        Parallel.forChunks(rows) { _, r in
            ck_to_bf16(s.base + r.lowerBound * ld, r.count, cols, ld, d.base + r.lowerBound * cols)
        }
    }

    /// Scratch for the rounded operands, reused across calls (a step runs a
    /// few dozen GEMMs of a handful of shapes).
    private final class Operands: @unchecked Sendable {
        let a = FloatBuffer(), b = FloatBuffer()
        private static let lock = NSLock()
        nonisolated(unsafe) private static var free: [Operands] = []

        static func take() -> Operands {
            lock.lock()
            defer { lock.unlock() }
            return free.popLast() ?? Operands()
        }

        static func give(_ o: Operands) {
            lock.lock()
            free.append(o)
            lock.unlock()
        }
    }
}

/// oneDNN matmul primitives, one per GEMM shape, created on first use.
enum Matmul {
    struct Shape: Hashable {
        let transA: Bool, transB: Bool
        let m: Int, n: Int, k: Int, ldc: Int
        let alpha: Float, beta: Float
    }

    final class Primitive: @unchecked Sendable {
        let primitive: dnnl_primitive_t
        var a = dnnl_memory_desc_t(), b = dnnl_memory_desc_t(), c = dnnl_memory_desc_t()
        init(_ s: Shape) {
            // op(A) is m x k and op(B) k x n; the dense copies keep the
            // stored layout, so a transposed operand is a column-major view.
            check(ijepa_dnnl_md_2d(&a, s.m, s.k, dnnl_bf16, s.transA ? 1 : s.k, s.transA ? s.m : 1), "source")
            check(ijepa_dnnl_md_2d(&b, s.k, s.n, dnnl_bf16, s.transB ? 1 : s.n, s.transB ? s.k : 1), "weights")
            check(ijepa_dnnl_md_2d(&c, s.m, s.n, dnnl_f32, s.ldc, 1), "destination")
            var desc = dnnl_matmul_desc_t()
            check(dnnl_matmul_desc_init(&desc, &a, &b, nil, &c), "matmul descriptor")
            var attr: dnnl_primitive_attr_t? = nil
            check(dnnl_primitive_attr_create(&attr), "attributes")
            defer { dnnl_primitive_attr_destroy(attr) }
            if s.alpha != 1 {
                var alpha = s.alpha
                check(dnnl_primitive_attr_set_output_scales(attr, 1, 0, &alpha), "output scale")
            }
            if s.beta != 0 {
                var ops: dnnl_post_ops_t? = nil
                check(dnnl_post_ops_create(&ops), "post-ops")
                defer { dnnl_post_ops_destroy(ops) }
                check(dnnl_post_ops_append_sum(ops, s.beta), "sum post-op")
                check(dnnl_primitive_attr_set_post_ops(attr, ops), "post-ops")
            }
            var pd: dnnl_primitive_desc_t? = nil
            check(dnnl_primitive_desc_create(&pd, &desc, attr, Matmul.engine, nil), "primitive descriptor")
            defer { dnnl_primitive_desc_destroy(pd) }
            var p: dnnl_primitive_t? = nil
            check(dnnl_primitive_create(&p, pd), "primitive")
            primitive = p!
        }
    }

    private static func check(_ status: dnnl_status_t, _ what: String) {
        precondition(status == dnnl_success, "oneDNN bf16 matmul: \(what) failed (\(status))")
    }

    nonisolated(unsafe) static let engine: dnnl_engine_t = {
        var e: dnnl_engine_t? = nil
        check(dnnl_engine_create(&e, dnnl_cpu, 0), "engine")
        return e!
    }()

    private static let lock = NSLock()
    nonisolated(unsafe) private static var cache: [Shape: Primitive] = [:]

    static func primitive(_ shape: Shape) -> Primitive {
        lock.lock()
        defer { lock.unlock() }
        if let p = cache[shape] { return p }
        let p = Primitive(shape)
        cache[shape] = p
        return p
    }

    static func run(_ p: Primitive, a: UnsafeMutablePointer<UInt16>, b: UnsafeMutablePointer<UInt16>,
                    c: UnsafeMutablePointer<Float>) {
        // A stream per call: cheap, and calls from several threads stay apart.
        var stream: dnnl_stream_t? = nil
        check(dnnl_stream_create(&stream, engine, dnnl_stream_default_flags.rawValue), "stream")
        defer { dnnl_stream_destroy(stream) }
        var ma: dnnl_memory_t? = nil, mb: dnnl_memory_t? = nil, mc: dnnl_memory_t? = nil
        check(dnnl_memory_create(&ma, &p.a, engine, a), "source memory")
        check(dnnl_memory_create(&mb, &p.b, engine, b), "weights memory")
        check(dnnl_memory_create(&mc, &p.c, engine, c), "destination memory")
        defer { dnnl_memory_destroy(ma); dnnl_memory_destroy(mb); dnnl_memory_destroy(mc) }
        var args = [dnnl_exec_arg_t(arg: DNNL_ARG_SRC, memory: ma), dnnl_exec_arg_t(arg: DNNL_ARG_WEIGHTS, memory: mb),
                    dnnl_exec_arg_t(arg: DNNL_ARG_DST, memory: mc)]
        Parallel.pinTeamSize()
        check(dnnl_primitive_execute(p.primitive, stream, 3, &args), "execute")
        check(dnnl_stream_wait(stream), "wait")
    }
}
