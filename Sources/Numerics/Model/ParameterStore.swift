import Threads

/// All trained parameters of a module in one contiguous Float32 buffer, with
/// a same-layout gradient buffer, each tensor addressable by its PyTorch
/// state_dict name and shape. One buffer makes the optimizer, the EMA and
/// checkpoints single loops over memory.
/// Sendable: the layout (entries, index, count) is fixed by `allocate()`; parallel workers write only disjoint ranges of `values` and `grads`, and no two steps run on one store at once.
public final class ParameterStore: @unchecked Sendable {
    public struct Entry: Sendable {
        public let name: String
        public let shape: [Int]
        public let offset: Int
        public var count: Int { shape.reduce(1, *) }
    }

    public private(set) var entries: [Entry] = []
    private var index: [String: Int] = [:]
    public private(set) var count = 0
    public private(set) var values: UnsafeMutablePointer<Float>
    public private(set) var grads: UnsafeMutablePointer<Float>

    /// Declare tensors first (`add`), then `allocate()`.
    public init() {
        values = .allocate(capacity: 1)
        grads = .allocate(capacity: 1)
    }

    /// Registers a tensor and returns its offset.
    @discardableResult
    public func add(_ name: String, _ shape: [Int]) -> Int {
        precondition(index[name] == nil, "duplicate parameter \(name)")
        let e = Entry(name: name, shape: shape, offset: count)
        index[name] = entries.count
        entries.append(e)
        count += e.count
        return e.offset
    }

    public func allocate() {
        values.deallocate()
        grads.deallocate()
        values = .allocate(capacity: max(count, 1))
        grads = .allocate(capacity: max(count, 1))
        values.initialize(repeating: 0, count: max(count, 1))
        grads.initialize(repeating: 0, count: max(count, 1))
    }

    public func entry(_ name: String) -> Entry? { index[name].map { entries[$0] } }

    public func value(_ offset: Int) -> UnsafeMutablePointer<Float> { values + offset }
    public func grad(_ offset: Int) -> UnsafeMutablePointer<Float> { grads + offset }

    public func zeroGrads() { grads.update(repeating: 0, count: count) }

    /// Σ grad², in Double, summed in a fixed order (chunks of 4096).
    public func gradSquaredNorm() -> Double {
        let chunk = 4096, chunks = (count + chunk - 1) / chunk, g = SharedPointer(grads), n = count
        let parts = Parallel.map(chunks) { c -> Double in
            var s = 0.0
            for i in (c * chunk)..<min(n, (c + 1) * chunk) { s += Double(g.base[i]) * Double(g.base[i]) }
            return s
        }
        return parts.reduce(0, +)
    }

    /// Copies all values from a store of the same layout (e.g. the target
    /// encoder from the context encoder).
    public func copyValues(from other: ParameterStore) {
        precondition(other.entries.map(\.name) == entries.map(\.name) && other.count == count)
        values.update(from: other.values, count: count)
    }

    deinit {
        values.deallocate()
        grads.deallocate()
    }
}
