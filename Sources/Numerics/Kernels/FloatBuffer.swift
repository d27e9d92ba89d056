/// A growable Float32 buffer for activations and scratch: it reallocates
/// only when asked for more than it has, so after the first step of a given
/// shape no further allocation happens.
/// Sendable: `reserve` (the only mutation) is called by the thread that owns the layer, outside parallel regions; workers only read and write disjoint parts of `pointer`.
public final class FloatBuffer: @unchecked Sendable {
    public private(set) var pointer: UnsafeMutablePointer<Float>
    public private(set) var capacity: Int

    public init(_ capacity: Int = 0) {
        self.capacity = max(capacity, 1)
        pointer = .allocate(capacity: self.capacity)
        pointer.initialize(repeating: 0, count: self.capacity)
    }

    /// At least `n` floats; the contents are undefined after a growth.
    @discardableResult
    public func reserve(_ n: Int) -> UnsafeMutablePointer<Float> {
        if n > capacity {
            pointer.deallocate()
            capacity = n
            pointer = .allocate(capacity: n)
            pointer.initialize(repeating: 0, count: n)
        }
        return pointer
    }

    deinit { pointer.deallocate() }
}
