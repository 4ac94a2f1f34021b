// The path Traefik's HTTP muxer matches Path/PathPrefix/PathRegexp against (pkg/muxer/http/mux.go,
// withRoutingPath): the escaped path with percent-escapes decoded, EXCEPT escapes of reserved characters
// (%2F, %3F, %25, ...), which stay encoded so "/a%2Fb" does not match Path(`/a/b`).
public enum RoutingPath {
    /// Upper-case escapes Traefik keeps as is (RFC 3986 gen-delims, sub-delims and "%").
    private static let reserved: Set<UInt8> = Set(":/?#[]@!$&'()*+,;=%".utf8)

    /// Nil when a "%" is not followed by two hex digits (Traefik: 400 Bad Request).
    public static func make(fromEscaped path: String) -> String? {
        let bytes = Array(path.utf8)
        guard bytes.contains(UInt8(ascii: "%")) else { return path }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = 0
        while i < bytes.count {
            guard bytes[i] == UInt8(ascii: "%") else {
                out.append(bytes[i])
                i += 1
                continue
            }
            guard i + 2 < bytes.count, let high = hexValue(bytes[i + 1]), let low = hexValue(bytes[i + 2]) else {
                return nil
            }
            let decoded = high << 4 | low
            // Only the upper-case spelling is in Traefik's reserved table; "%2f" is decoded to "/".
            let isUpperSpelling = !isLowerHexLetter(bytes[i + 1]) && !isLowerHexLetter(bytes[i + 2])
            if reserved.contains(decoded) && isUpperSpelling {
                out.append(contentsOf: bytes[i...(i + 2)])
            } else {
                out.append(decoded)
            }
            i += 3
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    private static func isLowerHexLetter(_ c: UInt8) -> Bool {
        c >= UInt8(ascii: "a") && c <= UInt8(ascii: "f")
    }
}

/// Go's url.ParseQuery as Request.URL.Query() uses it: "&"-separated pairs, "+" is a space, %XX decoded;
/// pairs with a ";" or a broken escape are dropped (Go reports and skips them), empty pairs ignored.
public enum QueryString {
    public static func decode(_ raw: String) -> [(key: String, value: String)] {
        var items: [(key: String, value: String)] = []
        for pair in raw.utf8.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
            if pair.contains(UInt8(ascii: ";")) { continue }
            let equals = pair.firstIndex(of: UInt8(ascii: "="))
            let rawKey = pair[pair.startIndex..<(equals ?? pair.endIndex)]
            let rawValue = equals.map { pair[pair.index(after: $0)...] } ?? pair[pair.endIndex...]
            guard let key = unescape(rawKey), let value = unescape(rawValue) else { continue }
            items.append((key, value))
        }
        return items
    }

    static func unescape(_ bytes: Substring.UTF8View.SubSequence) -> String? {
        var out: [UInt8] = []
        var i = bytes.startIndex
        while i < bytes.endIndex {
            let c = bytes[i]
            if c == UInt8(ascii: "+") {
                out.append(UInt8(ascii: " "))
            } else if c == UInt8(ascii: "%") {
                let h = bytes.index(after: i)
                guard h < bytes.endIndex, bytes.index(after: h) < bytes.endIndex,
                      let high = RoutingPath.hexValue(bytes[h]),
                      let low = RoutingPath.hexValue(bytes[bytes.index(after: h)]) else { return nil }
                out.append(high << 4 | low)
                i = bytes.index(h, offsetBy: 2)
                continue
            } else {
                out.append(c)
            }
            i = bytes.index(after: i)
        }
        return String(decoding: out, as: UTF8.self)
    }
}
