// Go RE2 accepts a subset of what PCRE2 does. A rule must not work here and fail in Traefik (or the other way
// round), so patterns are scanned for PCRE-only syntax before compiling. Messages follow Go's regexp/syntax.
// Reference: https://github.com/google/re2/wiki/Syntax (the "NOT SUPPORTED" entries) and Go's
// regexp/syntax parse.go (parseEscape, parsePerlFlags).
enum RE2Syntax {
    /// Escapes Go accepts after a backslash, besides punctuation and the octal digits 0-7.
    private static let letterEscapes: Set<UInt8> = Set("aftnrvxpPdDsSwWbBAzQE".utf8)

    /// The first construct Go RE2 rejects, with its byte offset; nil when the pattern stays inside RE2.
    static func unsupportedConstruct(in pattern: String) -> (offset: Int, message: String)? {
        let p = Array(pattern.utf8)
        var i = 0
        var inClass = false
        while i < p.count {
            let c = p[i]
            if c == UInt8(ascii: "\\") {
                guard i + 1 < p.count else { return (i, "trailing backslash at end of expression") }
                let e = p[i + 1]
                if e == UInt8(ascii: "Q") {  // \Q...\E is literal text in both dialects
                    i = skipQuoted(p, from: i + 2)
                    continue
                }
                if let problem = checkEscape(p, at: i) { return problem }
                i += 2
                continue
            }
            if inClass {
                if c == UInt8(ascii: "["), i + 1 < p.count, p[i + 1] == UInt8(ascii: ":") {
                    i = skipPOSIXClass(p, from: i + 2)
                    continue
                }
                if c == UInt8(ascii: "]") { inClass = false }
                i += 1
                continue
            }
            switch c {
            case UInt8(ascii: "["):
                inClass = true
                i += 1
                // A `]` (after an optional `^`) right at the start is a literal member in both dialects.
                if i < p.count, p[i] == UInt8(ascii: "^") { i += 1 }
                if i < p.count, p[i] == UInt8(ascii: "]") { i += 1 }
                continue
            case UInt8(ascii: "("):
                if let problem = checkGroup(p, at: i) { return problem }
            case UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "?"):
                if i + 1 < p.count, p[i + 1] == UInt8(ascii: "+") {
                    return (i, "invalid nested repetition operator: `\(text(p, i, 2))`")
                }
            default:
                break
            }
            i += 1
        }
        return nil
    }

    private static func checkEscape(_ p: [UInt8], at i: Int) -> (offset: Int, message: String)? {
        let e = p[i + 1]
        let isDigit = e >= UInt8(ascii: "0") && e <= UInt8(ascii: "9")
        if isDigit {
            // Go: a lone non-zero digit is a backreference (unsupported); \8 and \9 are never valid.
            let nextIsDigit = i + 2 < p.count && p[i + 2] >= UInt8(ascii: "0") && p[i + 2] <= UInt8(ascii: "7")
            if e == UInt8(ascii: "0") || (e <= UInt8(ascii: "7") && nextIsDigit) { return nil }
            return (i, "invalid escape sequence: `\(text(p, i, 2))` (backreferences are not supported)")
        }
        let isWordByte = (e >= UInt8(ascii: "a") && e <= UInt8(ascii: "z"))
            || (e >= UInt8(ascii: "A") && e <= UInt8(ascii: "Z")) || e == UInt8(ascii: "_") || e >= 0x80
        if isWordByte && !letterEscapes.contains(e) {
            return (i, "invalid escape sequence: `\(text(p, i, 2))`")
        }
        return nil
    }

    /// `(?` forms Go knows are flags `(?i)`, `(?i:`, `(?:` and names `(?P<n>`, `(?<n>`; PCRE extras are refused.
    private static func checkGroup(_ p: [UInt8], at i: Int) -> (offset: Int, message: String)? {
        guard i + 1 < p.count else { return nil }
        if p[i + 1] == UInt8(ascii: "*") { return (i + 1, "missing argument to repetition operator: `*`") }
        guard p[i + 1] == UInt8(ascii: "?"), i + 2 < p.count else { return nil }
        let k = p[i + 2]
        let next: UInt8 = i + 3 < p.count ? p[i + 3] : 0
        let unsupported: Bool
        switch k {
        case UInt8(ascii: "="), UInt8(ascii: "!"), UInt8(ascii: ">"), UInt8(ascii: "|"), UInt8(ascii: "R"),
             UInt8(ascii: "("), UInt8(ascii: "#"), UInt8(ascii: "&"), UInt8(ascii: "C"), UInt8(ascii: "+"),
             UInt8(ascii: "'"):
            unsupported = true
        case UInt8(ascii: "<"):
            unsupported = next == UInt8(ascii: "=") || next == UInt8(ascii: "!")
        case UInt8(ascii: "P"):
            unsupported = next == UInt8(ascii: ">") || next == UInt8(ascii: "=")
        case UInt8(ascii: "0")...UInt8(ascii: "9"):
            unsupported = true
        default:
            unsupported = false
        }
        guard unsupported else { return nil }
        return (i, "invalid or unsupported Perl syntax: `\(text(p, i, min(3, p.count - i)))`")
    }

    private static func skipQuoted(_ p: [UInt8], from start: Int) -> Int {
        var i = start
        while i + 1 < p.count {
            if p[i] == UInt8(ascii: "\\") && p[i + 1] == UInt8(ascii: "E") { return i + 2 }
            i += 1
        }
        return p.count
    }

    private static func skipPOSIXClass(_ p: [UInt8], from start: Int) -> Int {
        var i = start
        while i + 1 < p.count {
            if p[i] == UInt8(ascii: ":") && p[i + 1] == UInt8(ascii: "]") { return i + 2 }
            i += 1
        }
        return start
    }

    private static func text(_ p: [UInt8], _ start: Int, _ count: Int) -> String {
        String(decoding: p[start..<min(p.count, start + count)], as: UTF8.self)
    }
}
