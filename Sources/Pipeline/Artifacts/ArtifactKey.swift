/// What an artifact is a function of. Its key is a prefix of the SHA-256 of
/// this in canonical JSON, so any change to the stage's config values, its
/// upstream artifacts, its raw inputs or its format version changes the key,
/// and nothing else does.
public struct ArtifactKeyMaterial: Sendable {
    public let stage: String
    public let formatVersion: Int
    /// The stage's settings, encoded (`KeyEncodable.keyJSON`).
    public let config: JSON
    /// Upstream stage name -> its artifact key.
    public let upstream: [String: String]
    /// Raw input name -> content digest.
    public let inputs: [String: String]
    /// What else one artifact of the stage is a function of, when a config
    /// run builds several (the feature cache: which encoder, which split).
    public let parameters: [String: JSON]

    public init(stage: String, formatVersion: Int, settings: some KeyEncodable,
                upstream: [String: String] = [:], inputs: [String: String] = [:], parameters: [String: JSON] = [:]) {
        self.stage = stage
        self.formatVersion = formatVersion
        config = settings.keyJSON
        self.upstream = upstream
        self.inputs = inputs
        self.parameters = parameters
    }

    public var json: JSON {
        var o: [String: JSON] = [
            "stage": .string(stage),
            "format_version": .int(formatVersion),
            "config": config,
            "upstream": .object(upstream.mapValues { .string($0) }),
            "inputs": .object(inputs.mapValues { .string($0) }),
        ]
        // Only when present, so the keys of stages without parameters stay what they were.
        if !parameters.isEmpty { o["parameters"] = .object(parameters) }
        return .object(o)
    }

    /// 16 hex digits (64 bits): short enough to read, far from collisions
    /// at the number of artifacts a project makes.
    public var key: String { String(Digest.sha256Hex(json.canonical).prefix(16)) }
}
