import Yams

/// YAML 1.2 core-schema typing of plain scalars. Yams defaults to YAML 1.1,
/// where `010` is octal 8 and `no`/`off` are booleans: surprising in a
/// config (`title: Off`), and unlike PyYAML users' expectations for numbers.
enum YAMLCore {
    static let resolver: Resolver = Resolver.basic
        .appending(try! Resolver.Rule(.null, "^(?:~|null|Null|NULL|)$"))
        .appending(try! Resolver.Rule(.bool, "^(?:true|True|TRUE|false|False|FALSE)$"))
        .appending(try! Resolver.Rule(.int, "^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$"))
        .appending(try! Resolver.Rule(.float,
            "^(?:[-+]?(?:\\.[0-9]+|[0-9]+(?:\\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\\.(?:inf|Inf|INF)|\\.(?:nan|NaN|NAN))$"))

    static func value(of text: String, tag: Tag.Name) -> JSON {
        switch tag {
        case .null:
            return .null
        case .bool:
            return .bool(text.lowercased() == "true")
        case .int:
            let v: Int?
            if text.hasPrefix("0x") { v = Int(text.dropFirst(2), radix: 16) }
            else if text.hasPrefix("0o") { v = Int(text.dropFirst(2), radix: 8) }
            else { v = Int(text, radix: 10) }
            return v.map { .int($0) } ?? .double(Double(text) ?? .nan)  // beyond Int: a (large) number
        case .float:
            let lower = text.lowercased()
            if lower.hasSuffix(".nan") { return .double(.nan) }
            if lower.hasSuffix(".inf") { return .double(lower.hasPrefix("-") ? -.infinity : .infinity) }
            return .double(Double(text) ?? .nan)
        default:
            return .string(text)
        }
    }
}
