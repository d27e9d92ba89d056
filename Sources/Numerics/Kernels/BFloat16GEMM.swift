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
        withOperands(2, route: route) { ops in
            // The operands as stored: rows x cols with a leading dimension.
            ops[0].load(a, rows: transA ? k : m, cols: transA ? m : k, ld: lda)
            ops[1].load(b, rows: transB ? n : k, cols: transB ? k : n, ld: ldb)
            multiply(transA, transB, m, n, k, alpha, ops[0], ops[1], beta, c, ldc)
        }
    }

    /// c = alpha · op(a) · op(b) + beta · c over operands already rounded
    /// (so one rounding can serve several GEMMs, as dy does in a linear
    /// layer's backward). `bias` (float32, n; with alpha 1 and beta 0 only)
    /// is added to every row of the product: by oneDNN as it stores c on the
    /// native route (the same sum, so the same bits, as adding it after;
    /// one pass over c fewer).
    static func multiply(_ transA: Bool, _ transB: Bool, _ m: Int, _ n: Int, _ k: Int, _ alpha: Float,
                         _ a: Operand, _ b: Operand, _ beta: Float, _ c: UnsafeMutablePointer<Float>, _ ldc: Int,
                         bias: UnsafePointer<Float>? = nil) {
        precondition(bias == nil || (alpha == 1 && beta == 0 && ldc == n), "a fused bias needs c = a·b")
        precondition(a.route == b.route)
        precondition((a.rows, a.cols) == (transA ? (k, m) : (m, k)) && (b.rows, b.cols) == (transB ? (n, k) : (k, n)))
        GEMM.note(GEMM.Call(transA: transA, transB: transB, m: m, n: n, k: k, lda: a.cols, ldb: b.cols, ldc: ldc,
                            parallelRegion: GEMM.inParallelRegion, precision: .bfloat16))
        switch a.route {
        case .emulated:
            GEMM.float32(transA, transB, m, n, k, alpha, a.storage.pointer, a.cols, b.storage.pointer, b.cols, beta, c, ldc)
            if let bias { Linear.addRows(bias: bias, residual: nil, rows: m, width: n, into: c) }
        case .native:
            let shape = Matmul.Shape(transA: transA, transB: transB, m: m, n: n, k: k, ldc: ldc, alpha: alpha, beta: beta,
                                     bias: bias != nil)
            let p = Matmul.primitive(shape)
            GEMM.timed { Matmul.run(p, a: a.bits, b: b.bits, bias: bias, c: c) }
        }
    }

    /// `count` operand buffers for `body`, reused across calls (a step runs
    /// a few dozen GEMMs of a handful of shapes).
    static func withOperands<R>(_ count: Int, route: Route = route, _ body: ([Operand]) -> R) -> R {
        let ops = (0..<count).map { _ in Operand.take(route) }
        defer { for o in ops { Operand.give(o) } }
        return body(ops)
    }

    /// One GEMM operand rounded to bf16, dense (rows x cols): bf16 bits for
    /// the native route, their float32 values for the emulation.
    final class Operand: @unchecked Sendable {
        let route: Route
        let storage = FloatBuffer()
        private(set) var rows = 0, cols = 0

        init(route: Route) { self.route = route }

        /// The bf16 bits (native route): two per float of storage.
        var bits: UnsafeMutablePointer<UInt16> {
            UnsafeMutableRawPointer(storage.pointer).bindMemory(to: UInt16.self, capacity: rows * cols)
        }

        /// Rounds `rows` rows of `cols` floats, `ld` apart; rows split over
        /// the workers. With `columnSums` (dense rows, ld = cols) their
        /// column sums are taken in the same pass, block by block.
        func load(_ src: UnsafePointer<Float>, rows: Int, cols: Int, ld: Int, columnSums: ColumnSums? = nil) {
            resize(rows: rows, cols: cols)
            let s = SharedReadPointer(src)
            guard let sums = columnSums else {
                Parallel.forChunks(rows) { _, r in self.round(s.base + r.lowerBound * ld, rows: r, ld: ld) }
                return
            }
            precondition(ld == cols && sums.width == cols)
            RowBlocks.forEach(rows: rows, cols: cols) { chunk, r in
                self.round(s.base + r.lowerBound * cols, rows: r, ld: cols)
                sums.add(s.base + r.lowerBound * cols, rows: r.count, chunk: chunk)
            }
            sums.finish()
        }

        /// Rows of an activation as the layer that computes it writes them:
        /// `body(rows, out)` writes those rows as float32 at `out` (row
        /// stride `cols`), and they are rounded at once, while in cache,
        /// instead of in a second pass over memory. The float32 rows land in
        /// `float32` when given (a reader needs them), else in a small
        /// per-worker tile. The rounded values equal `load`'s bit for bit.
        /// With `columnSums` the float32 rows' column sums are taken too.
        func produce(rows: Int, cols: Int, float32: UnsafeMutablePointer<Float>?, columnSums: ColumnSums? = nil,
                     _ body: @Sendable (Range<Int>, UnsafeMutablePointer<Float>) -> Void) {
            resize(rows: rows, cols: cols)
            precondition(columnSums.map { $0.width == cols } ?? true)
            // One block of float32 per worker's tile: the rows stay in L1 until rounded.
            let block = RowBlocks.rows(cols)
            let tiles = float32 == nil ? SharedPointer(tile.reserve(Parallel.chunkCount(rows) * block * cols)) : nil
            let keep = float32.map { SharedPointer($0) }
            RowBlocks.forEach(rows: rows, cols: cols) { chunk, r in
                let out = keep.map { $0.base + r.lowerBound * cols } ?? tiles!.base + chunk * block * cols
                body(r, out)
                self.round(out, rows: r, ld: cols)
                columnSums?.add(out, rows: r.count, chunk: chunk)
            }
            columnSums?.finish()
        }

        /// `produce`'s per-worker float32 tiles.
        private let tile = FloatBuffer()

        private func resize(rows: Int, cols: Int) {
            self.rows = rows
            self.cols = cols
            switch route {
            case .emulated: storage.reserve(rows * cols)
            case .native:
                precondition(nativeAvailable, "native bfloat16 GEMMs need AVX512_BF16")
                storage.reserve((rows * cols + 1) / 2)
            }
        }

        /// Rounds rows `r` of this operand from `src` (row r.lowerBound, `ld` apart).
        private func round(_ src: UnsafePointer<Float>, rows r: Range<Int>, ld: Int) {
            switch route {
            case .emulated: ck_round_bf16(src, r.count, cols, ld, storage.pointer + r.lowerBound * cols)
            case .native: ck_to_bf16(src, r.count, cols, ld, bits + r.lowerBound * cols)
            }
        }

        private static let lock = NSLock()
        nonisolated(unsafe) private static var free: [Route: [Operand]] = [:]

        static func take(_ route: Route) -> Operand {
            lock.lock()
            defer { lock.unlock() }
            return free[route]?.popLast() ?? Operand(route: route)
        }

        static func give(_ o: Operand) {
            lock.lock()
            free[o.route, default: []].append(o)
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
        /// A float32 bias of n added to every row.
        var bias = false
    }

    final class Primitive: @unchecked Sendable {
        let primitive: dnnl_primitive_t
        var a = dnnl_memory_desc_t(), b = dnnl_memory_desc_t(), c = dnnl_memory_desc_t(), bias = dnnl_memory_desc_t()
        let hasBias: Bool
        init(_ s: Shape) {
            // op(A) is m x k and op(B) k x n; the dense copies keep the
            // stored layout, so a transposed operand is a column-major view.
            check(ijepa_dnnl_md_2d(&a, s.m, s.k, dnnl_bf16, s.transA ? 1 : s.k, s.transA ? s.m : 1), "source")
            check(ijepa_dnnl_md_2d(&b, s.k, s.n, dnnl_bf16, s.transB ? 1 : s.n, s.transB ? s.k : 1), "weights")
            check(ijepa_dnnl_md_2d(&c, s.m, s.n, dnnl_f32, s.ldc, 1), "destination")
            hasBias = s.bias
            if s.bias { check(ijepa_dnnl_md_2d(&bias, 1, s.n, dnnl_f32, s.n, 1), "bias") }
            var desc = dnnl_matmul_desc_t()
            if s.bias {
                check(dnnl_matmul_desc_init(&desc, &a, &b, &bias, &c), "matmul descriptor")
            } else {
                check(dnnl_matmul_desc_init(&desc, &a, &b, nil, &c), "matmul descriptor")
            }
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
                    bias: UnsafePointer<Float>?, c: UnsafeMutablePointer<Float>) {
        precondition(p.hasBias == (bias != nil))
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
        var mbias: dnnl_memory_t? = nil
        if let bias {
            check(dnnl_memory_create(&mbias, &p.bias, engine, UnsafeMutableRawPointer(mutating: bias)), "bias memory")
            args.append(dnnl_exec_arg_t(arg: DNNL_ARG_BIAS, memory: mbias))
        }
        defer { if mbias != nil { dnnl_memory_destroy(mbias) } }
        Parallel.pinTeamSize()
        check(dnnl_primitive_execute(p.primitive, stream, Int32(args.count), &args), "execute")
        check(dnnl_stream_wait(stream), "wait")
    }
}
