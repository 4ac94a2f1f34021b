// What Go's net/url does to a path that a middleware sets as req.URL.RawPath (replacePath,
// replacePathRegex): unescape it into Path (url.PathUnescape, whose error Traefik answers with 500), then
// write it upstream as URL.EscapedPath() does — RawPath as it is when it is a valid encoding, else Path
// escaped anew. And path.Clean, which replacePathRegex's JoinPath check applies.
import HTTP

enum GoURLPath {
    /// url.PathUnescape: "%XX" decoded ('+' stays). The error text is Go's EscapeError
    /// (`invalid URL escape "%zz"`), which http.Error sends as the body.
    static func unescape(_ s: String) -> Result<[UInt8], EscapeError> {
        let b = Array(s.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(b.count)
        var i = 0
        while i < b.count {
            if b[i] == UInt8(ascii: "%") {
                guard i + 2 < b.count, let h = HTTPASCII.hexValue(b[i + 1]), let l = HTTPASCII.hexValue(b[i + 2]) else {
                    return .failure(EscapeError(escape: String(decoding: b[i..<min(i + 3, b.count)], as: UTF8.self)))
                }
                out.append(h << 4 | l)
                i += 3
            } else {
                out.append(b[i])
                i += 1
            }
        }
        return .success(out)
    }

    struct EscapeError: Error, CustomStringConvertible {
        let escape: String
        var description: String { "invalid URL escape \"\(escape)\"" }
    }

    /// URL.EscapedPath after setting RawPath = `raw` and Path = its unescaping: `raw` itself when every byte
    /// is allowed raw in a path (validEncoded), else the unescaped path escaped again (escape(encodePath)).
    static func escapedPath(raw: String, unescaped: [UInt8]) -> String {
        if raw.utf8.allSatisfy({ validEncoded($0) }) { return raw }
        var out: [UInt8] = []
        let digits = Array("0123456789ABCDEF".utf8)
        for c in unescaped {
            if shouldEscapeInPath(c) {
                out += [UInt8(ascii: "%"), digits[Int(c >> 4)], digits[Int(c & 15)]]
            } else {
                out.append(c)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// url.validEncoded(s, encodePath) for one byte: sub-delims, ':' '@' '[' ']' and '%' pass as they are.
    private static func validEncoded(_ c: UInt8) -> Bool {
        if Array("!$&'()*+,;=:@[]%".utf8).contains(c) { return true }
        return !shouldEscapeInPath(c)
    }

    /// url.shouldEscape(c, encodePath): letters, digits, "-_.~" and "$&+,/:;=@" stay; everything else
    /// (including '?') is escaped.
    private static func shouldEscapeInPath(_ c: UInt8) -> Bool {
        switch c {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return false
        default:
            return !Array("-_.~$&+,/:;=@".utf8).contains(c)
        }
    }

    /// URL.JoinPath() with no elements, on a non-empty escaped path: path.Join (Clean) of it, relative
    /// paths kept relative, a trailing slash kept.
    static func joinPath(_ escaped: String) -> String {
        var p: String
        if escaped.hasPrefix("/") {
            p = clean(escaped)
        } else {
            p = String(clean("/" + escaped).dropFirst())
        }
        if escaped.hasSuffix("/") && !p.hasSuffix("/") { p += "/" }
        return p
    }

    /// Go's path.Clean: one slash between elements, "." removed, ".." removing the element before it
    /// (at the root it is dropped), no trailing slash but for "/", "" → ".".
    static func clean(_ path: String) -> String {
        guard !path.isEmpty else { return "." }
        let rooted = path.hasPrefix("/")
        var parts: [Substring] = []
        for element in path.split(separator: "/", omittingEmptySubsequences: true) {
            if element == "." { continue }
            if element == ".." {
                if let last = parts.last, last != ".." {
                    parts.removeLast()
                } else if !rooted {
                    parts.append(element)
                }
                continue
            }
            parts.append(element)
        }
        let joined = parts.joined(separator: "/")
        if rooted { return "/" + joined }
        return joined.isEmpty ? "." : joined
    }
}
