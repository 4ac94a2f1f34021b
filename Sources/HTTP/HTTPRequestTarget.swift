// The four forms of request-target (RFC 9112 §3.2) and the Host syntax check. The proxy routes on the host
// and path found here; absolute-form takes its authority from the target and ignores Host (RFC 9112 §3.2.2).

public enum HTTPRequestTargetForm: Equatable, Sendable {
    /// "/path?query"
    case origin
    /// "scheme://authority/path?query": `authority` and `path` index the buffer; `path` may be empty (means "/").
    case absolute(authority: Range<Int>, path: Range<Int>)
    /// "host:port", only with CONNECT.
    case authority
    /// "*", only with OPTIONS.
    case asterisk

    /// Classifies `target` (a non-empty range of `p`) for `method`; nil when it fits no form.
    static func classify(_ p: UnsafeRawBufferPointer, _ target: Range<Int>, method: HTTPMethod) -> HTTPRequestTargetForm? {
        guard !target.isEmpty else { return nil }
        // Control bytes and SP never belong in a target; bytes >= 0x80 are passed on as Go passes them.
        for i in target where p[i] <= 0x20 || p[i] == 0x7F { return nil }
        let first = p[target.lowerBound]
        if first == UInt8(ascii: "/") { return .origin }
        if first == UInt8(ascii: "*") {
            return target.count == 1 && method == .options ? .asterisk : nil
        }
        if method == .connect { return isValidHost(p, target) ? .authority : nil }
        return absoluteForm(p, target)
    }

    /// scheme "://" authority [path-abempty ["?" query]]; userinfo is refused (RFC 9110 §4.2.4).
    private static func absoluteForm(_ p: UnsafeRawBufferPointer, _ target: Range<Int>) -> HTTPRequestTargetForm? {
        var i = target.lowerBound
        guard isAlpha(p[i]) else { return nil }
        while i < target.upperBound, isSchemeByte(p[i]) { i += 1 }
        guard target.upperBound - i >= 3, p[i] == UInt8(ascii: ":"), p[i + 1] == UInt8(ascii: "/"),
              p[i + 2] == UInt8(ascii: "/") else { return nil }
        let authorityStart = i + 3
        var end = authorityStart
        while end < target.upperBound {
            let b = p[end]
            if b == UInt8(ascii: "/") || b == UInt8(ascii: "?") || b == UInt8(ascii: "#") { break }
            end += 1
        }
        let authority = authorityStart..<end
        guard !authority.isEmpty, isValidHost(p, authority) else { return nil }
        return .absolute(authority: authority, path: end..<target.upperBound)
    }

    private static func isAlpha(_ b: UInt8) -> Bool { (b | 0x20) >= 0x61 && (b | 0x20) <= 0x7A }
    private static func isSchemeByte(_ b: UInt8) -> Bool {
        isAlpha(b) || (b >= 0x30 && b <= 0x39) || b == UInt8(ascii: "+") || b == UInt8(ascii: "-") || b == UInt8(ascii: ".")
    }

    /// Host syntax as Go's httpguts.ValidHostHeader checks it: reg-name, IP literals and a port; no "@", "/",
    /// whitespace or control bytes. The empty value is valid (RFC 9112 §3.2: Host may be empty).
    static func isValidHost(_ p: UnsafeRawBufferPointer, _ range: Range<Int>) -> Bool {
        for i in range {
            switch p[i] {
            case 0x30...0x39, 0x41...0x5A, 0x61...0x7A: continue
            case UInt8(ascii: "!"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"), UInt8(ascii: "'"),
                 UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: ","),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: ":"), UInt8(ascii: ";"), UInt8(ascii: "="),
                 UInt8(ascii: "["), UInt8(ascii: "]"), UInt8(ascii: "_"), UInt8(ascii: "~"):
                continue
            default: return false
            }
        }
        return true
    }
}

extension HTTPVersion {
    enum Parsed {
        case version(HTTPVersion)
        case malformed
        case unsupported
    }

    /// HTTP-version = "HTTP/" DIGIT "." DIGIT, case-sensitive. Any 1.x is accepted (Go does; RFC 9110 §2.5
    /// lets 1.2+ be treated as 1.1); other majors are well formed but unsupported.
    static func parse(_ p: UnsafeRawBufferPointer, _ range: Range<Int>) -> Parsed {
        guard range.count == 8 else { return .malformed }
        let s = range.lowerBound
        let prefix: StaticString = "HTTP/"
        let prefixMatches = prefix.withUTF8Buffer { lit in
            (0..<5).allSatisfy { p[s + $0] == lit[$0] }
        }
        let major = p[s + 5] &- 0x30, minor = p[s + 7] &- 0x30
        guard prefixMatches, major < 10, p[s + 6] == UInt8(ascii: "."), minor < 10 else { return .malformed }
        guard major == 1 else { return .unsupported }
        return .version(HTTPVersion(major: major, minor: minor))
    }
}
