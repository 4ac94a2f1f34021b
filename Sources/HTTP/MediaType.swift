// A media type with its parameters, parsed as Go's mime.ParseMediaType does (RFC 2045 §5.1 tokens and
// quoted strings; type, subtype and parameter names lower-cased; a duplicate parameter or a stray byte is
// an error), so the compress middleware's content-type lists match what Traefik's match. RFC 2231
// continuations (`title*0=`) are not joined: no Content-Type uses them.

public struct MediaType: Equatable, Sendable {
    /// "text/html", lower-cased.
    public let type: String
    /// Names lower-cased, values as written (quotes removed).
    public let parameters: [String: String]

    /// Nil where Go's ParseMediaType returns an error.
    public init?(_ text: String) {
        let bytes = Array(text.utf8)
        let semicolon = bytes.firstIndex(of: UInt8(ascii: ";")) ?? bytes.count
        let base = Self.trim(bytes[..<semicolon])
        // type ["/" subtype], both tokens.
        var i = base.startIndex
        while i < base.endIndex && Self.isToken(base[i]) { i += 1 }
        guard i > base.startIndex else { return nil }
        if i < base.endIndex {
            guard base[i] == UInt8(ascii: "/") else { return nil }
            var j = i + 1
            while j < base.endIndex && Self.isToken(base[j]) { j += 1 }
            guard j > i + 1, j == base.endIndex else { return nil }
        }
        type = String(decoding: base, as: UTF8.self).lowercased()
        var params: [String: String] = [:]
        var at = semicolon
        // Each round consumes at least the ';' it starts at: at most bytes.count rounds.
        while at < bytes.count {
            at = Self.skipSpace(bytes, at)
            if at == bytes.count { break }
            guard bytes[at] == UInt8(ascii: ";") else { return nil }
            at = Self.skipSpace(bytes, at + 1)
            let nameStart = at
            while at < bytes.count && Self.isToken(bytes[at]) { at += 1 }
            if at == nameStart {
                // A trailing ";" is allowed; anything else without a name is not.
                guard Self.trim(bytes[at...]).isEmpty else { return nil }
                break
            }
            let name = String(decoding: bytes[nameStart..<at], as: UTF8.self).lowercased()
            at = Self.skipSpace(bytes, at)
            guard at < bytes.count, bytes[at] == UInt8(ascii: "=") else { return nil }
            at = Self.skipSpace(bytes, at + 1)
            guard let (value, end) = Self.value(bytes, at), params[name] == nil else { return nil }
            params[name] = value
            at = end
        }
        parameters = params
    }

    /// Whether a response's media type is this list entry: the same type, and when the entry has
    /// parameters, exactly the same parameters (klauspost's and Traefik's parsedContentType.equals).
    public func matches(_ other: MediaType) -> Bool {
        guard type == other.type else { return false }
        return parameters.isEmpty || parameters == other.parameters
    }

    /// A token, or a quoted string with backslash escapes; the value and the index after it.
    private static func value(_ b: [UInt8], _ start: Int) -> (String, Int)? {
        guard start < b.count else { return nil }
        if b[start] != UInt8(ascii: "\"") {
            var i = start
            while i < b.count && isToken(b[i]) { i += 1 }
            return i > start ? (String(decoding: b[start..<i], as: UTF8.self), i) : nil
        }
        var out: [UInt8] = []
        var i = start + 1
        while i < b.count {
            switch b[i] {
            case UInt8(ascii: "\""): return (String(decoding: out, as: UTF8.self), i + 1)
            case UInt8(ascii: "\\") where i + 1 < b.count: out.append(b[i + 1]); i += 2
            case UInt8(ascii: "\r"), UInt8(ascii: "\n"): return nil
            default: out.append(b[i]); i += 1
            }
        }
        return nil
    }

    private static func isToken(_ c: UInt8) -> Bool {
        c > 0x20 && c < 0x7F && !"()<>@,;:\\\"/[]?=".utf8.contains(c)
    }

    private static func skipSpace(_ b: [UInt8], _ i: Int) -> Int {
        var i = i
        while i < b.count && (b[i] == 0x20 || b[i] == 0x09 || b[i] == 0x0A || b[i] == 0x0D) { i += 1 }
        return i
    }

    private static func trim(_ s: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        var s = s
        while let f = s.first, f == 0x20 || f == 0x09 || f == 0x0A || f == 0x0D { s = s.dropFirst() }
        while let l = s.last, l == 0x20 || l == 0x09 || l == 0x0A || l == 0x0D { s = s.dropLast() }
        return s
    }
}
