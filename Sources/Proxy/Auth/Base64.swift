// Standard base64 (RFC 4648 §4, "+/" with "=" padding) as Go's base64.StdEncoding reads and writes it: the
// Basic credentials of an Authorization header, and the digest of htpasswd "{SHA}" entries.

enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// Padded encoding of `bytes`.
    static func encode(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var i = 0
        while i < bytes.count {
            let b0 = UInt32(bytes[i])
            let b1 = i + 1 < bytes.count ? UInt32(bytes[i + 1]) : 0
            let b2 = i + 2 < bytes.count ? UInt32(bytes[i + 2]) : 0
            let n = b0 << 16 | b1 << 8 | b2
            out.append(alphabet[Int(n >> 18 & 63)])
            out.append(alphabet[Int(n >> 12 & 63)])
            out.append(i + 1 < bytes.count ? alphabet[Int(n >> 6 & 63)] : UInt8(ascii: "="))
            out.append(i + 2 < bytes.count ? alphabet[Int(n & 63)] : UInt8(ascii: "="))
            i += 3
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The bytes `text` encodes, or nil when it is not padded standard base64. Like Go's StdEncoding (not
    /// Strict): CR and LF are skipped, unused low bits of the last symbol are ignored, nothing may follow "=".
    static func decode<S: Sequence<UInt8>>(_ text: S) -> [UInt8]? {
        var out: [UInt8] = []
        var quad: UInt32 = 0, count = 0, padding = 0, finished = false
        for c in text {
            if c == UInt8(ascii: "\r") || c == UInt8(ascii: "\n") { continue }
            guard !finished else { return nil }   // nothing after a padded quad
            if c == UInt8(ascii: "=") {
                guard count >= 2 else { return nil }   // "=" only fills the last one or two places
                padding += 1
                quad <<= 6
            } else {
                guard padding == 0, let v = symbolValue(c) else { return nil }
                quad = quad << 6 | v
            }
            count += 1
            guard count == 4 else { continue }
            out.append(UInt8(truncatingIfNeeded: quad >> 16))
            if padding < 2 { out.append(UInt8(truncatingIfNeeded: quad >> 8)) }
            if padding < 1 { out.append(UInt8(truncatingIfNeeded: quad)) }
            finished = padding > 0
            quad = 0
            count = 0
        }
        return count == 0 ? out : nil
    }

    private static func symbolValue(_ c: UInt8) -> UInt32? {
        switch c {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): return UInt32(c - UInt8(ascii: "A"))
        case UInt8(ascii: "a")...UInt8(ascii: "z"): return UInt32(c - UInt8(ascii: "a")) + 26
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return UInt32(c - UInt8(ascii: "0")) + 52
        case UInt8(ascii: "+"): return 62
        case UInt8(ascii: "/"): return 63
        default: return nil
        }
    }
}
