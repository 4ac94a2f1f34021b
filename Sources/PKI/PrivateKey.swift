// Private keys for ACME (the account key that signs JWS requests, the certificates' keys) and the
// community CA: generated, read from and written to PEM/DER the way Traefik's acme.json and Go's lego
// hold them, and shown as a JWK (RFC 7517/7518) for the ACME account.
import COpenSSL

/// The key types of Traefik's `certificatesResolvers.NAME.acme.keyType` (lego's `certcrypto.KeyType`),
/// with Traefik's spelling as the raw value.
public enum KeyType: String, CaseIterable, Sendable {
    case ec256 = "EC256", ec384 = "EC384", rsa2048 = "RSA2048", rsa4096 = "RSA4096", rsa8192 = "RSA8192"

    public var isRSA: Bool { self == .rsa2048 || self == .rsa4096 || self == .rsa8192 }

    /// RSA modulus bits or the curve's field size in bits.
    var bits: Int32 {
        switch self {
        case .ec256: return 256
        case .ec384: return 384
        case .rsa2048: return 2048
        case .rsa4096: return 4096
        case .rsa8192: return 8192
        }
    }

    /// The curve's name in OpenSSL and in JWK (RFC 7518 section 6.2.1.1), nil for RSA.
    var curve: (openssl: String, jwk: String)? {
        switch self {
        case .ec256: return ("P-256", "P-256")
        case .ec384: return ("P-384", "P-384")
        default: return nil
        }
    }

    /// ES256/ES384 hash with the curve's size (RFC 7518 section 3.4); RS256 with SHA-256.
    var digest: OpaquePointer? { self == .ec384 ? EVP_sha384() : EVP_sha256() }

    /// Bytes of one ECDSA signature half (r or s) in JWS form: the field size.
    var signatureHalf: Int { Int(bits) / 8 }
}

/// An RSA or EC (P-256, P-384) private key. Immutable; its public half is part of it.
public final class PrivateKey {
    /// The EVP_PKEY, owned.
    let pkey: OpaquePointer
    public let keyType: KeyType

    /// Takes ownership of `pkey`; nil (and frees it) when it is not one of the `KeyType`s: RSA of
    /// another size, another curve (secp256k1 is 256 bits too), Ed25519.
    init?(owning pkey: OpaquePointer) {
        guard let type = PrivateKey.keyType(of: pkey) else {
            EVP_PKEY_free(pkey)
            return nil
        }
        self.pkey = pkey
        self.keyType = type
    }

    deinit { EVP_PKEY_free(pkey) }

    private static func keyType(of pkey: OpaquePointer) -> KeyType? {
        let bits = EVP_PKEY_get_bits(pkey)
        switch EVP_PKEY_get_base_id(pkey) {
        case EVP_PKEY_RSA:
            return KeyType.allCases.first { $0.isRSA && $0.bits == bits }
        case EVP_PKEY_EC:
            var name = [CChar](repeating: 0, count: 64)
            var length = 0
            guard EVP_PKEY_get_group_name(pkey, &name, name.count, &length) == 1 else { return nil }
            let group = String(decoding: name.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self)
            // OpenSSL names the NIST curves by their SECG/X9.62 names.
            switch group {
            case "prime256v1", "P-256", "secp256r1": return .ec256
            case "secp384r1", "P-384": return .ec384
            default: return nil
            }
        default:
            return nil
        }
    }

    /// A new key from OpenSSL's CSPRNG. RSA uses the public exponent 65537. nil when OpenSSL fails
    /// (no entropy). RSA8192 takes seconds to minutes: not for the loop's turn.
    public static func generate(_ type: KeyType) -> PrivateKey? {
        defer { clearOpenSSLErrors() }
        guard let ctx = EVP_PKEY_CTX_new_from_name(nil, type.isRSA ? "RSA" : "EC", nil) else { return nil }
        defer { EVP_PKEY_CTX_free(ctx) }
        guard EVP_PKEY_keygen_init(ctx) == 1 else { return nil }
        if let curve = type.curve {
            guard EVP_PKEY_CTX_set_group_name(ctx, curve.openssl) == 1 else { return nil }
        } else {
            guard EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, type.bits) == 1 else { return nil }
        }
        var pkey: OpaquePointer?
        guard EVP_PKEY_generate(ctx, &pkey) == 1, let pkey else { return nil }
        return PrivateKey(owning: pkey)
    }

    /// Reads the first private key of a PEM text: "RSA PRIVATE KEY" (PKCS#1), "EC PRIVATE KEY" (SEC1)
    /// or "PRIVATE KEY" (PKCS#8, unencrypted). Text around the block (an EC PARAMETERS block, a
    /// certificate) is skipped. nil when none is found or its type is not a `KeyType`.
    public convenience init?(pem: [UInt8]) {
        defer { clearOpenSSLErrors() }
        guard let pkey = withMemoryBIO(pem, { PEM_read_bio_PrivateKey($0, nil, nil, nil) }) else { return nil }
        self.init(owning: pkey)
    }

    /// Reads a DER private key: PKCS#1 RSA, SEC1 EC or PKCS#8. nil when it is none of them, has bytes
    /// after the key, or its type is not a `KeyType`.
    public convenience init?(der: [UInt8]) {
        defer { clearOpenSSLErrors() }
        let read: OpaquePointer? = der.withUnsafeBufferPointer { buffer in
            var cursor: UnsafePointer<UInt8>? = buffer.baseAddress
            // d2i_AutoPrivateKey tells PKCS#8 from the traditional forms and RSA from EC by their structure.
            guard let key = d2i_AutoPrivateKey(nil, &cursor, buffer.count) else { return nil }
            guard cursor == buffer.baseAddress.map({ $0 + buffer.count }) else {
                EVP_PKEY_free(key)
                return nil
            }
            return key
        }
        guard let read else { return nil }
        self.init(owning: read)
    }

    /// PEM in the algorithm's own form, as Go's lego writes certificate keys: "RSA PRIVATE KEY" (PKCS#1)
    /// or "EC PRIVATE KEY" (SEC1, with the named curve and the public key).
    public var pem: [UInt8] {
        defer { clearOpenSSLErrors() }
        let text = writtenToMemoryBIO { bio in
            PEM_write_bio_PrivateKey_traditional(bio, pkey, nil, nil, 0, nil, nil)
        }
        // Writing a key OpenSSL holds cannot fail short of memory; an empty result says so to the caller.
        return text ?? []
    }

    /// DER in the algorithm's own form: PKCS#1 for RSA, SEC1 for EC (Traefik's acme.json keeps the
    /// account key as base64 of this).
    public var der: [UInt8] {
        defer { clearOpenSSLErrors() }
        // i2d_PrivateKey writes the type-specific ("traditional") structure for RSA and EC keys.
        return derEncoded { i2d_PrivateKey(pkey, $0) } ?? []
    }

    /// A named big-number parameter of the key ("n", "e" for RSA; "qx", "qy" for EC).
    private func parameter(_ name: String, width: Int = 0) -> [UInt8] {
        var bn: OpaquePointer?
        guard EVP_PKEY_get_bn_param(pkey, name, &bn) == 1, let bn else { return [] }
        defer { BN_free(bn) }
        return bigEndianBytes(bn, width: width) ?? []
    }

    /// The public key as a JWK (RFC 7517) in JSON text, with exactly the required members in
    /// lexicographic order and no white space: the form RFC 7638 hashes for the thumbprint, and a valid
    /// JWK for a JWS header. EC coordinates are padded to the field size (RFC 7518 section 6.2.1.2).
    public var jwk: String {
        defer { clearOpenSSLErrors() }
        if let curve = keyType.curve {
            return JWK.ec(curve: curve.jwk, x: parameter("qx", width: keyType.signatureHalf),
                          y: parameter("qy", width: keyType.signatureHalf))
        }
        return JWK.rsa(e: parameter("e"), n: parameter("n"))
    }

    /// RFC 7638 thumbprint: base64url(SHA-256(jwk)). ACME's key authorizations end with it.
    public var jwkThumbprint: String {
        JWK.thumbprint(jwk)
    }

    /// The JWS "alg" this key signs with (RFC 7518 section 3.1).
    public var jwsAlgorithm: String {
        switch keyType {
        case .ec256: return "ES256"
        case .ec384: return "ES384"
        default: return "RS256"
        }
    }

    /// A JWS signature of `message` (the ASCII of `protected.payload`): RS256 is RSASSA-PKCS1-v1_5 with
    /// SHA-256; ES256/ES384 is ECDSA with the curve's hash, as the raw r || s JWS wants (RFC 7518
    /// section 3.4: each half padded to the field size), not OpenSSL's DER. nil when OpenSSL fails.
    public func sign(_ message: [UInt8]) -> [UInt8]? {
        defer { clearOpenSSLErrors() }
        guard let ctx = EVP_MD_CTX_new() else { return nil }
        defer { EVP_MD_CTX_free(ctx) }
        guard EVP_DigestSignInit(ctx, nil, keyType.digest, nil, pkey) == 1 else { return nil }
        var length = 0
        guard message.withUnsafeBufferPointer({ EVP_DigestSign(ctx, nil, &length, $0.baseAddress, $0.count) }) == 1
        else { return nil }
        var signature = [UInt8](repeating: 0, count: length)
        let ok = signature.withUnsafeMutableBufferPointer { out in
            message.withUnsafeBufferPointer { EVP_DigestSign(ctx, out.baseAddress, &length, $0.baseAddress, $0.count) }
        }
        guard ok == 1 else { return nil }
        signature.removeLast(signature.count - length)
        return keyType.isRSA ? signature : ECDSASignature.raw(fromDER: signature, half: keyType.signatureHalf)
    }

    /// Checks a signature made by `sign` (raw r || s for EC) with this key's public half.
    public func verify(_ signature: [UInt8], message: [UInt8]) -> Bool {
        defer { clearOpenSSLErrors() }
        let der: [UInt8]
        if keyType.isRSA {
            der = signature
        } else {
            guard let converted = ECDSASignature.der(fromRaw: signature, half: keyType.signatureHalf) else { return false }
            der = converted
        }
        guard let ctx = EVP_MD_CTX_new() else { return false }
        defer { EVP_MD_CTX_free(ctx) }
        guard EVP_DigestVerifyInit(ctx, nil, keyType.digest, nil, pkey) == 1 else { return false }
        return der.withUnsafeBufferPointer { sig in
            message.withUnsafeBufferPointer { EVP_DigestVerify(ctx, sig.baseAddress, sig.count, $0.baseAddress, $0.count) }
        } == 1
    }

    /// The public key as DER SubjectPublicKeyInfo (what a certificate or CSR carries).
    public var publicKeyDER: [UInt8] {
        defer { clearOpenSSLErrors() }
        return derEncoded { i2d_PUBKEY(pkey, $0) } ?? []
    }
}

/// Public JWKs in RFC 7638's canonical form: the required members only, in lexicographic order, no
/// white space, so the text is both the JWS header's "jwk" and the thumbprint's input.
enum JWK {
    static func ec(curve: String, x: [UInt8], y: [UInt8]) -> String {
        #"{"crv":"\#(curve)","kty":"EC","x":"\#(Base64URL.encode(x))","y":"\#(Base64URL.encode(y))"}"#
    }

    static func rsa(e: [UInt8], n: [UInt8]) -> String {
        #"{"e":"\#(Base64URL.encode(e))","kty":"RSA","n":"\#(Base64URL.encode(n))"}"#
    }

    /// RFC 7638: base64url(SHA-256(the canonical JWK's UTF-8)).
    static func thumbprint(_ jwk: String) -> String {
        Base64URL.encode(Digest.sha256(Array(jwk.utf8)))
    }
}

/// ECDSA signatures between OpenSSL's DER `ECDSA-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER }` and
/// JWS's fixed-width r || s.
enum ECDSASignature {
    static func raw(fromDER der: [UInt8], half: Int) -> [UInt8]? {
        let sig: OpaquePointer? = der.withUnsafeBufferPointer { buffer in
            var cursor: UnsafePointer<UInt8>? = buffer.baseAddress
            return d2i_ECDSA_SIG(nil, &cursor, buffer.count)
        }
        guard let sig else { return nil }
        defer { ECDSA_SIG_free(sig) }
        guard let r = ECDSA_SIG_get0_r(sig), let s = ECDSA_SIG_get0_s(sig),
              let rBytes = bigEndianBytes(r, width: half),
              let sBytes = bigEndianBytes(s, width: half) else { return nil }
        return rBytes + sBytes
    }

    static func der(fromRaw raw: [UInt8], half: Int) -> [UInt8]? {
        guard raw.count == 2 * half, let sig = ECDSA_SIG_new() else { return nil }
        defer { ECDSA_SIG_free(sig) }
        let r = raw.withUnsafeBufferPointer { BN_bin2bn($0.baseAddress, Int32(half), nil) }
        let s = raw.withUnsafeBufferPointer { BN_bin2bn($0.baseAddress! + half, Int32(half), nil) }
        guard let r, let s else {
            BN_free(r)
            BN_free(s)
            return nil
        }
        guard ECDSA_SIG_set0(sig, r, s) == 1 else {   // takes r and s on success only
            BN_free(r)
            BN_free(s)
            return nil
        }
        return derEncoded { i2d_ECDSA_SIG(sig, $0) }
    }
}
