/// "did you mean …" for a mistyped config key: the known key at the
/// smallest edit distance, when it is close enough to be a typo.
enum KeySuggestion {
    static func closest(to path: String, among keys: [String]) -> String? {
        let limit = max(2, path.count / 5)
        var best: (key: String, distance: Int)? = nil
        for k in keys {
            let d = distance(path, k)
            if d <= limit && d < (best?.distance ?? Int.max) { best = (k, d) }
        }
        return best?.key
    }

    /// Levenshtein distance (insert, delete, substitute; each costs 1).
    static func distance(_ a: String, _ b: String) -> Int {
        let x = Array(a), y = Array(b)
        if x.isEmpty || y.isEmpty { return max(x.count, y.count) }
        var previous = Array(0...y.count), current = [Int](repeating: 0, count: y.count + 1)
        for i in 1...x.count {
            current[0] = i
            for j in 1...y.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x[i - 1] == y[j - 1] ? 0 : 1))
            }
            swap(&previous, &current)
        }
        return previous[y.count]
    }
}
