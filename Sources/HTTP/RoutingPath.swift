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
            guard i + 2 < bytes.count, let high = HTTPASCII.hexValue(bytes[i + 1]), let low = HTTPASCII.hexValue(bytes[i + 2]) else {
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

    private static func isLowerHexLetter(_ c: UInt8) -> Bool {
        c >= UInt8(ascii: "a") && c <= UInt8(ascii: "f")
    }
}
