// DNS-01's TXT record (RFC 8555 §8.4): its value is base64url(SHA-256(keyAuthorization)) without padding,
// 43 characters, at `_acme-challenge.DOMAIN.` (ACMEChallenge.dnsRecordName).
import COpenSSL

extension ACMEChallenge {
    /// The TXT value the CA looks for.
    public var dnsRecordValue: String { DNS01Record.value(keyAuthorization: keyAuthorization) }
}

enum DNS01Record {
    static func value(keyAuthorization: String) -> String {
        base64URL(sha256(Array(keyAuthorization.utf8)))
    }

    // TODO(pki): PKI's Digest.sha256 and Base64URL.encode replace these two once PKI is in main.
    static func sha256(_ bytes: [UInt8]) -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        _ = bytes.withUnsafeBytes { EVP_Digest($0.baseAddress, $0.count, &digest, &length, EVP_sha256(), nil) }
        return digest
    }

    /// Standard base64 (RFC 4648 §4) with padding: Basic authentication's credentials.
    static func base64(_ bytes: [UInt8]) -> String {
        guard !bytes.isEmpty else { return "" }
        var out = [UInt8](repeating: 0, count: 4 * ((bytes.count + 2) / 3) + 1)
        let n = out.withUnsafeMutableBufferPointer { o in
            bytes.withUnsafeBufferPointer { EVP_EncodeBlock(o.baseAddress, $0.baseAddress, Int32($0.count)) }
        }
        return String(decoding: out[0..<Int(n)], as: UTF8.self)
    }

    /// base64url (RFC 4648 §5) without padding.
    static func base64URL(_ bytes: [UInt8]) -> String {
        var text = Array(base64(bytes).utf8)
        while text.last == UInt8(ascii: "=") { text.removeLast() }
        for i in text.indices {
            if text[i] == UInt8(ascii: "+") { text[i] = UInt8(ascii: "-") } else if text[i] == UInt8(ascii: "/") { text[i] = UInt8(ascii: "_") }
        }
        return String(decoding: text, as: UTF8.self)
    }
}
