/// A safetensors read or write failure: one line naming the file and the problem.
public struct SafeTensorsError: Error, CustomStringConvertible, Sendable {
    public let description: String
    init(_ path: String, _ problem: String) { description = "\(path): \(problem)" }
}
