extension SafeTensorsHeader {
    /// The 8-byte little-endian length, then the JSON text (metadata first, tensors
    /// in order) padded with spaces to a multiple of 8 bytes as the reference
    /// writer does, so the data section starts 8-aligned.
    func encoded() -> [UInt8] {
        var fields: [String] = []
        if !metadata.isEmpty {
            // Sorted so the same metadata always gives the same bytes.
            let pairs = metadata.sorted { $0.key < $1.key }.map { "\(Self.quoted($0.key)):\(Self.quoted($0.value))" }
            fields.append("\(Self.quoted(Self.metadataKey)):{\(pairs.joined(separator: ","))}")
        }
        for tensor in tensors {
            let shape = tensor.shape.map(String.init).joined(separator: ",")
            fields.append("\(Self.quoted(tensor.name)):{\"dtype\":\"\(tensor.dtype.rawValue)\",\"shape\":[\(shape)],"
                + "\"data_offsets\":[\(tensor.bytes.lowerBound),\(tensor.bytes.upperBound)]}")
        }
        var json = Array("{\(fields.joined(separator: ","))}".utf8)
        json += repeatElement(UInt8(ascii: " "), count: (8 - json.count % 8) % 8)
        return withUnsafeBytes(of: UInt64(json.count).littleEndian, Array.init) + json
    }

    /// A JSON string literal; non-ASCII text stays UTF-8, as in the reference writer.
    static func quoted(_ text: String) -> String {
        var literal = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": literal += "\\\""
            case "\\": literal += "\\\\"
            case "\n": literal += "\\n"
            case "\r": literal += "\\r"
            case "\t": literal += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                literal += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: literal.unicodeScalars.append(scalar)
            }
        }
        return literal + "\""
    }
}
