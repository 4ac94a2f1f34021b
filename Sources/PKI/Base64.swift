// Standard base64 (RFC 4648 §4, "+/" with "=" padding) as Go's base64.StdEncoding reads and writes it: the
// Basic credentials of an Authorization header, the digest of htpasswd "{SHA}" entries, and the
// certificates of an acme.json. The bytes are coded by OpenSSL's EVP_EncodeBlock/EVP_DecodeBlock (libcrypto,
// linked for TLS; both are plain functions that initialise nothing). What Go accepts is checked here
// first, because OpenSSL's block decoder differs: it trims white space around the text, reads "=" anywhere
// as zero bits, and refuses the line breaks Go skips.
import COpenSSL

public enum Base64 {
    /// Padded encoding of `bytes`.
    public static func encode(_ bytes: [UInt8]) -> String {
        guard !bytes.isEmpty else { return "" }
        // EVP_EncodeBlock writes 4 characters per 3 bytes (the last group padded) and a NUL.
        var out = [UInt8](repeating: 0, count: (bytes.count + 2) / 3 * 4 + 1)
        let n = bytes.withUnsafeBufferPointer { input in
            out.withUnsafeMutableBufferPointer { EVP_EncodeBlock($0.baseAddress, input.baseAddress, Int32(input.count)) }
        }
        return String(decoding: out[..<Int(n)], as: UTF8.self)
    }

    /// The bytes `text` encodes, or nil when it is not padded standard base64. Like Go's StdEncoding (not
    /// Strict): CR and LF are skipped anywhere, unused low bits of the last symbol are ignored, "=" only
    /// pads the last one or two places, and nothing may follow it.
    public static func decode<S: Sequence<UInt8>>(_ text: S) -> [UInt8]? {
        var symbols: [UInt8] = []
        for c in text where c != UInt8(ascii: "\r") && c != UInt8(ascii: "\n") { symbols.append(c) }
        guard symbols.count % 4 == 0 else { return nil }
        guard !symbols.isEmpty else { return [] }
        var padding = 0
        while padding < 2 && symbols[symbols.count - 1 - padding] == UInt8(ascii: "=") { padding += 1 }
        for i in 0..<(symbols.count - padding) where !isSymbol(symbols[i]) { return nil }
        // The padding stands for zero bits that are dropped below; "A" is OpenSSL's symbol for them.
        for i in (symbols.count - padding)..<symbols.count { symbols[i] = UInt8(ascii: "A") }
        var out = [UInt8](repeating: 0, count: symbols.count / 4 * 3)
        let n = symbols.withUnsafeBufferPointer { input in
            out.withUnsafeMutableBufferPointer { EVP_DecodeBlock($0.baseAddress, input.baseAddress, Int32(input.count)) }
        }
        guard Int(n) == out.count else { return nil }   // cannot happen after the checks above
        out.removeLast(padding)
        return out
    }

    private static func isSymbol(_ c: UInt8) -> Bool {
        switch c {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "+"), UInt8(ascii: "/"): return true
        default: return false
        }
    }
}
