/// RFC 4180 CSV: quoting of one field, and reading a whole text back.
public enum CSV {
    /// The rows of an RFC 4180 text: fields split at commas outside quotes,
    /// `""` inside quotes read as one quote, rows split at newlines outside
    /// quotes; a trailing newline ends the last row.
    public static func rows(_ text: String) -> [[String]] {
        var rows: [[String]] = [], row: [String] = [], field = ""
        var quoted = false, any = false
        var chars = text.makeIterator()
        var pending: Character? = nil
        while let ch = pending ?? chars.next() {
            pending = nil
            if quoted {
                if ch == "\"" {
                    if let next = chars.next() {
                        if next == "\"" { field.append("\"") } else { quoted = false; pending = next }
                    } else { quoted = false }
                } else { field.append(ch) }
                continue
            }
            switch ch {
            case "\"": quoted = true; any = true
            case ",": row.append(field); field = ""; any = true
            case "\n", "\r\n":
                row.append(field); rows.append(row); row = []; field = ""; any = false
            default: field.append(ch); any = true
            }
        }
        if any || !row.isEmpty { row.append(field); rows.append(row) }
        return rows
    }

    public static func field(_ s: String) -> String {
        s.contains(",") || s.contains("\"") || s.contains("\n") ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
    }
}
