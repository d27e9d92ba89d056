/// The median of xs (0 when empty): the benchmarks' summary of repeated
/// timings, robust to a moment's slowdown of the machine.
public func median(_ xs: [Double]) -> Double {
    let s = xs.sorted()
    guard !s.isEmpty else { return 0 }
    return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
}
