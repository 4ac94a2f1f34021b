// The flattened JWS JSON serialisation every ACME POST carries (RFC 8555 §6.2, RFC 7515 §7.2.2): the
// protected header names the algorithm, the nonce, the URL and either the account key itself (`jwk`, for
// newAccount and revocation by key) or the account URL (`kid`); the payload is JSON, or empty for
// POST-as-GET (§6.3). External Account Binding wraps the account key in an HMAC-signed JWS (§7.3.4).
import JSON
import PKI

enum ACMEJWS {
    enum Signer {
        case jwk
        case kid(String)
    }

    /// The request body; nil when the key cannot sign.
    static func body(key: PrivateKey, signer: Signer, nonce: String, url: String, payload: [UInt8]?) -> [UInt8]? {
        var header = JSONWriter(reservingCapacity: 512)
        header.beginObject()
        header.field("alg", key.jwsAlgorithm)
        switch signer {
        case .jwk:
            header.key("jwk")
            header.raw(key.jwk)
        case .kid(let url):
            header.field("kid", url)
        }
        header.field("nonce", nonce)
        header.field("url", url)
        header.endObject()
        let protected = Base64URL.encode(header.takeBytes())
        let encodedPayload = payload.map(Base64URL.encode) ?? ""
        guard let signature = key.sign(Array("\(protected).\(encodedPayload)".utf8)) else { return nil }
        return flattened(protected: protected, payload: encodedPayload, signature: Base64URL.encode(signature))
    }

    /// The `externalAccountBinding` member of a newAccount payload: HS256 over the account's public JWK,
    /// keyed by the CA's base64url MAC key. nil when the MAC key is not base64url.
    static func externalAccountBinding(keyID: String, macKey: String, accountKey: PrivateKey, newAccountURL: String) -> [UInt8]? {
        guard let mac = Base64URL.decode(macKey.replacingOccurrences(of: "=", with: "")) else { return nil }
        var header = JSONWriter(reservingCapacity: 256)
        header.beginObject()
        header.field("alg", "HS256")
        header.field("kid", keyID)
        header.field("url", newAccountURL)
        header.endObject()
        let protected = Base64URL.encode(header.takeBytes())
        let payload = Base64URL.encode(Array(accountKey.jwk.utf8))
        let signature = Digest.hmacSHA256(key: mac, message: Array("\(protected).\(payload)".utf8))
        return flattened(protected: protected, payload: payload, signature: Base64URL.encode(signature))
    }

    private static func flattened(protected: String, payload: String, signature: String) -> [UInt8] {
        var w = JSONWriter(reservingCapacity: 1024)
        w.beginObject()
        w.field("protected", protected)
        w.field("payload", payload)
        w.field("signature", signature)
        w.endObject()
        return w.takeBytes()
    }
}

extension String {
    fileprivate func replacingOccurrences(of target: String, with replacement: String) -> String {
        split(separator: Character(target), omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
