// JSON strings escaped exactly as Go's encoding/json does with HTML escaping on (logrus' default, so
// Traefik's JSON access log): \" \\ \n \r \t \b \f, other control bytes and <, >, & as \u00xx,
// U+2028/U+2029 as \u2028/\u2029; everything else verbatim UTF-8 (a Swift String is always valid UTF-8).
// Traefik's access log and its acme.json (json.MarshalIndent) both write strings this way.

public enum GoJSON {
    private static let hex = Array("0123456789abcdef".utf8)

    public static func appendString(_ out: inout String, _ s: String) {
        var bytes: [UInt8] = []
        appendString(&bytes, s)
        out += String(decoding: bytes, as: UTF8.self)
    }

    public static func appendString(_ bytes: inout [UInt8], _ s: String) {
        let input = Array(s.utf8)
        bytes.reserveCapacity(bytes.count + input.count + 2)
        bytes.append(UInt8(ascii: "\""))
        var i = 0
        while i < input.count {
            let b = input[i]
            i += 1
            switch b {
            case 0x22: bytes += [0x5C, 0x22]
            case 0x5C: bytes += [0x5C, 0x5C]
            case 0x0A: bytes += [0x5C, UInt8(ascii: "n")]
            case 0x0D: bytes += [0x5C, UInt8(ascii: "r")]
            case 0x09: bytes += [0x5C, UInt8(ascii: "t")]
            case 0x08: bytes += [0x5C, UInt8(ascii: "b")]
            case 0x0C: bytes += [0x5C, UInt8(ascii: "f")]
            case 0x00..<0x20, 0x3C, 0x3E, 0x26:
                bytes += [0x5C, UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"),
                          hex[Int(b >> 4)], hex[Int(b & 0xF)]]
            case 0xE2 where i + 1 < input.count && input[i] == 0x80 && (input[i + 1] == 0xA8 || input[i + 1] == 0xA9):
                bytes += Array((input[i + 1] == 0xA8 ? "\\u2028" : "\\u2029").utf8)
                i += 2
            default: bytes.append(b)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }
}
