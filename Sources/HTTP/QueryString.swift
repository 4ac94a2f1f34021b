// The query of a request target as Go's net/url decodes it (Request.URL.Query()), which Traefik's
// Query matchers and its API's parameters read.

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
                      let high = HTTPASCII.hexValue(bytes[h]),
                      let low = HTTPASCII.hexValue(bytes[bytes.index(after: h)]) else { return nil }
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
