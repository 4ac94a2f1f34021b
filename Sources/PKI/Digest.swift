// SHA-256 through OpenSSL's EVP (JWK thumbprints, key authorizations for DNS-01 and TLS-ALPN-01). The
// first call initialises OpenSSL's default provider (+2 MB resident, docs/dependencies.md); PKI runs
// only where TLS has done that already.
import COpenSSL

public enum Digest {
    /// SHA-256 of `bytes` (32 bytes).
    public static func sha256(_ bytes: [UInt8]) -> [UInt8] {
        digest(bytes, EVP_sha256(), size: 32)
    }

    /// SHA-384 of `bytes` (48 bytes).
    public static func sha384(_ bytes: [UInt8]) -> [UInt8] {
        digest(bytes, EVP_sha384(), size: 48)
    }

    /// HMAC-SHA-256 of `message` under `key` (ACME's External Account Binding, RFC 8555 §7.3.4).
    public static func hmacSHA256(key: [UInt8], message: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        let ok = out.withUnsafeMutableBufferPointer { o in
            key.withUnsafeBufferPointer { k in
                message.withUnsafeBufferPointer { HMAC(EVP_sha256(), k.baseAddress, Int32(k.count), $0.baseAddress, $0.count, o.baseAddress, &length) }
            }
        }
        precondition(ok != nil && length == 32, "OpenSSL HMAC failed")
        return out
    }

    private static func digest(_ bytes: [UInt8], _ md: OpaquePointer?, size: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: size)
        var length: UInt32 = 0
        let ok = out.withUnsafeMutableBufferPointer { o in
            bytes.withUnsafeBufferPointer { EVP_Digest($0.baseAddress, $0.count, o.baseAddress, &length, md, nil) }
        }
        // A digest of bytes in memory fails only when the provider cannot load: nothing would work then.
        precondition(ok == 1 && Int(length) == size, "OpenSSL digest failed")
        return out
    }
}
