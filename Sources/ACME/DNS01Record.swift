// DNS-01's TXT record (RFC 8555 §8.4): its value is base64url(SHA-256(keyAuthorization)) without padding,
// 43 characters, at `_acme-challenge.DOMAIN.` (ACMEChallenge.dnsRecordName).
import PKI

extension ACMEChallenge {
    /// The TXT value the CA looks for.
    public var dnsRecordValue: String { Base64URL.encode(Digest.sha256(Array(keyAuthorization.utf8))) }
}

enum DNS01Record {
    /// Standard base64 (RFC 4648 §4) with padding, for Basic authentication's credentials: PKI's base64url
    /// with the two letters of the standard alphabet and the padding put back.
    static func base64(_ bytes: [UInt8]) -> String {
        var text = Array(Base64URL.encode(bytes).utf8)
        for i in text.indices {
            if text[i] == UInt8(ascii: "-") { text[i] = UInt8(ascii: "+") } else if text[i] == UInt8(ascii: "_") { text[i] = UInt8(ascii: "/") }
        }
        while text.count % 4 != 0 { text.append(UInt8(ascii: "=")) }
        return String(decoding: text, as: UTF8.self)
    }
}
