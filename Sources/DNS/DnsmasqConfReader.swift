// Reading dnsmasq.conf text into option lines, following dnsmasq's option.c read_file:
// one option per line, `name=value` or a bare `name`; whitespace around the name and the
// value is dropped; `#` starts a comment at the start of a line or after whitespace, outside
// double quotes (so `address=/d/#` keeps its `#`); double quotes are removed and `\"`, `\\`,
// `\t`, `\n` inside them are unescaped.
import Config

public enum DnsmasqConfReader {
    /// Returns the options of `text` in order. `file` is recorded in each line for error messages.
    public static func parse(text: String, file: String) -> [DNSOption] {
        var lines: [DNSOption] = []
        var number = 0
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
            number += 1
            let content = stripComment(rawLine)
            let trimmed = trim(content)
            guard !trimmed.isEmpty else { continue }
            if let equals = trimmed.firstIndex(of: "=") {
                let name = trim(trimmed[..<equals])
                let value = trim(trimmed[trimmed.index(after: equals)...])
                lines.append(DNSOption(name: String(name), value: String(value), file: file, line: number))
            } else {
                lines.append(DNSOption(name: String(trimmed), value: nil, file: file, line: number))
            }
        }
        return lines
    }

    /// Removes a trailing comment and the quotes, unescaping inside quotes.
    static func stripComment(_ line: Substring) -> String {
        var out: [Character] = []
        var inQuotes = false
        var previousWasSpace = true
        var escaping = false
        for character in line {
            if escaping {
                switch character {
                case "t": out.append("\t")
                case "n": out.append("\n")
                default: out.append(character)
                }
                escaping = false
                continue
            }
            if inQuotes && character == "\\" { escaping = true; continue }
            if character == "\"" { inQuotes.toggle(); previousWasSpace = false; continue }
            if !inQuotes && previousWasSpace && character == "#" { break }
            previousWasSpace = character == " " || character == "\t" || character == "\r"
            out.append(character)
        }
        return String(out)
    }

    static func trim<S: StringProtocol>(_ text: S) -> Substring {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" }
        guard let first = text.firstIndex(where: { !isSpace($0) }),
              let last = text.lastIndex(where: { !isSpace($0) }) else { return "" }
        return Substring(text[first...last])
    }
}
