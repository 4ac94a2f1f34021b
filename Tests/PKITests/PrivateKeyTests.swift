// Keys: generation, PEM/DER round trips in every form Traefik and lego use, JWK and its RFC 7638
// thumbprint, and JWS signatures checked by OpenSSL (EVP_DigestVerify and the openssl command line).
import Foundation
@testable import PKI
import XCTest

final class PrivateKeyTests: XCTestCase {
    /// Every key type but RSA8192 (testRSA8192 makes one, once).
    private static let quickTypes: [KeyType] = [.ec256, .ec384, .rsa2048, .rsa4096]

    func testGeneratedKeysRoundTripThroughPEMAndDER() throws {
        for type in Self.quickTypes {
            let key = try XCTUnwrap(PrivateKey.generate(type), "\(type)")
            XCTAssertEqual(key.keyType, type)
            let pem = String(decoding: key.pem, as: UTF8.self)
            let label = type.isRSA ? "RSA PRIVATE KEY" : "EC PRIVATE KEY"
            XCTAssertTrue(pem.hasPrefix("-----BEGIN \(label)-----\n"), "\(type): \(pem.prefix(40))")
            XCTAssertTrue(pem.hasSuffix("-----END \(label)-----\n"), "\(type)")

            let fromPEM = try XCTUnwrap(PrivateKey(pem: key.pem), "\(type) PEM")
            let fromDER = try XCTUnwrap(PrivateKey(der: key.der), "\(type) DER")
            for copy in [fromPEM, fromDER] {
                XCTAssertEqual(copy.keyType, type)
                XCTAssertEqual(copy.der, key.der)
                XCTAssertEqual(copy.jwk, key.jwk)
                XCTAssertEqual(copy.pem, key.pem)
            }
        }
    }

    func testReadsWhatOpenSSLWritesInEveryForm() throws {
        let cli = try OpenSSLCommand()
        for type in Self.quickTypes {
            let key = try XCTUnwrap(PrivateKey.generate(type))
            let traditional = try cli.write("\(type).pem", key.pem)
            // PKCS#8, PEM and DER.
            _ = try cli.check(["pkcs8", "-topk8", "-nocrypt", "-in", traditional, "-out", "\(type).p8.pem"])
            _ = try cli.check(["pkcs8", "-topk8", "-nocrypt", "-in", traditional, "-outform", "DER", "-out", "\(type).p8.der"])
            let p8pem = try cli.read("\(type).p8.pem"), p8der = try cli.read("\(type).p8.der")
            XCTAssertTrue(String(decoding: p8pem, as: UTF8.self).hasPrefix("-----BEGIN PRIVATE KEY-----"))
            XCTAssertEqual(try XCTUnwrap(PrivateKey(pem: p8pem)).der, key.der, "\(type) PKCS#8 PEM")
            XCTAssertEqual(try XCTUnwrap(PrivateKey(der: p8der)).der, key.der, "\(type) PKCS#8 DER")
            // openssl reads our DER as the traditional form of its algorithm.
            let derPath = try cli.write("\(type).der", key.der)
            let text = try cli.check(["pkey", "-inform", "DER", "-in", derPath, "-noout", "-text"])
            XCTAssertTrue(text.contains(type.isRSA ? "Private-Key: (\(type.bits) bit" : "ASN1 OID: \(type == .ec256 ? "prime256v1" : "secp384r1")"),
                          "\(type): \(text.prefix(120))")
        }
        // An EC key whose PEM starts with the EC PARAMETERS block `openssl ecparam -genkey` writes.
        _ = try cli.check(["ecparam", "-genkey", "-name", "prime256v1", "-out", "params.pem"])
        XCTAssertEqual(PrivateKey(pem: try cli.read("params.pem"))?.keyType, .ec256)
    }

    func testRefusesKeysOutsideTheKeyTypes() throws {
        let cli = try OpenSSLCommand()
        _ = try cli.check(["ecparam", "-genkey", "-name", "secp256k1", "-noout", "-out", "k1.pem"])
        XCTAssertNil(PrivateKey(pem: try cli.read("k1.pem")), "secp256k1 is 256 bits but not P-256")
        _ = try cli.check(["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:3072", "-out", "rsa3072.pem"])
        XCTAssertNil(PrivateKey(pem: try cli.read("rsa3072.pem")))
        _ = try cli.check(["genpkey", "-algorithm", "ED25519", "-out", "ed.pem"])
        XCTAssertNil(PrivateKey(pem: try cli.read("ed.pem")))
        XCTAssertNil(PrivateKey(pem: Array("not a key".utf8)))
        XCTAssertNil(PrivateKey(der: [0x30, 0x03, 0x02, 0x01, 0x00]))
        let key = try XCTUnwrap(PrivateKey.generate(.ec256))
        XCTAssertNil(PrivateKey(der: key.der + [0]), "bytes after the key")
    }

    func testSignaturesVerifyWithOpenSSL() throws {
        let cli = try OpenSSLCommand()
        let message = Array("eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJqb2UifQ".utf8)
        for type in Self.quickTypes {
            let key = try XCTUnwrap(PrivateKey.generate(type))
            let signature = try XCTUnwrap(key.sign(message), "\(type)")
            switch type {
            case .ec256: XCTAssertEqual(signature.count, 64); XCTAssertEqual(key.jwsAlgorithm, "ES256")
            case .ec384: XCTAssertEqual(signature.count, 96); XCTAssertEqual(key.jwsAlgorithm, "ES384")
            default: XCTAssertEqual(signature.count, Int(type.bits) / 8); XCTAssertEqual(key.jwsAlgorithm, "RS256")
            }
            XCTAssertTrue(key.verify(signature, message: message), "\(type)")
            XCTAssertFalse(key.verify(signature, message: message + [0x2e]), "\(type): another message")
            var bent = signature
            bent[bent.count / 2] ^= 1
            XCTAssertFalse(key.verify(bent, message: message), "\(type): a changed signature")

            // The command line, with the public key only: RSA as is, ECDSA after turning r || s into DER.
            let keyPath = try cli.write("\(type).key", key.pem)
            _ = try cli.check(["pkey", "-in", keyPath, "-pubout", "-out", "\(type).pub"])
            let der = type.isRSA ? signature : try XCTUnwrap(ECDSASignature.der(fromRaw: signature, half: type.signatureHalf))
            let sigPath = try cli.write("\(type).sig", der), messagePath = try cli.write("message", message)
            let digest = type == .ec384 ? "-sha384" : "-sha256"
            let out = try cli.check(["dgst", digest, "-verify", "\(type).pub", "-signature", sigPath, messagePath])
            XCTAssertTrue(out.contains("Verified OK"), out)
        }
    }

    func testECJWKHoldsThePublicPoint() throws {
        for type in [KeyType.ec256, .ec384] {
            let key = try XCTUnwrap(PrivateKey.generate(type))
            let jwk = key.jwk
            let size = type.signatureHalf
            // SubjectPublicKeyInfo ends with the uncompressed point 04 || x || y.
            let point = Array(key.publicKeyDER.suffix(2 * size + 1))
            XCTAssertEqual(point.first, 0x04)
            let x = Base64URL.encode(Array(point[1...size])), y = Base64URL.encode(Array(point[(size + 1)...]))
            XCTAssertEqual(jwk, #"{"crv":"\#(type == .ec256 ? "P-256" : "P-384")","kty":"EC","x":"\#(x)","y":"\#(y)"}"#)
            XCTAssertEqual(key.jwkThumbprint, Base64URL.encode(Digest.sha256(Array(jwk.utf8))))
        }
        let rsa = try XCTUnwrap(PrivateKey.generate(.rsa2048))
        XCTAssertTrue(rsa.jwk.hasPrefix(#"{"e":"AQAB","kty":"RSA","n":""#), rsa.jwk)
    }

    /// RFC 7638 section 3.1: the example RSA key and its thumbprint.
    func testRFC7638Thumbprint() {
        let n = "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"
        let jwk = JWK.rsa(e: Base64URL.decode("AQAB")!, n: Base64URL.decode(n)!)
        XCTAssertEqual(jwk, #"{"e":"AQAB","kty":"RSA","n":"\#(n)"}"#)
        XCTAssertEqual(JWK.thumbprint(jwk), "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs")
    }

    /// RSA8192: one generation (OpenSSL takes seconds to a minute or two on these cores), its type, its
    /// PKCS#1 round trip and a signature. Skipped when STOEP_SKIP_RSA8192 is set.
    func testRSA8192() throws {
        try XCTSkipIf(ProcessInfo.processInfo.environment["STOEP_SKIP_RSA8192"] != nil, "STOEP_SKIP_RSA8192")
        let start = Date()
        let key = try XCTUnwrap(PrivateKey.generate(.rsa8192))
        print("RSA8192 generation: \(Int(Date().timeIntervalSince(start) * 1000)) ms")
        XCTAssertEqual(key.keyType, .rsa8192)
        XCTAssertEqual(PrivateKey(der: key.der)?.keyType, .rsa8192)
        XCTAssertEqual(PrivateKey(pem: key.pem)?.der, key.der)
        let signature = try XCTUnwrap(key.sign([1, 2, 3]))
        XCTAssertEqual(signature.count, 1024)
        XCTAssertTrue(key.verify(signature, message: [1, 2, 3]))
    }
}

final class Base64URLTests: XCTestCase {
    func testEncodesAndDecodesWithoutPadding() {
        // RFC 4648 section 10's vectors, unpadded, plus the two url-safe symbols.
        let cases: [(String, String)] = [("", ""), ("f", "Zg"), ("fo", "Zm8"), ("foo", "Zm9v"), ("foob", "Zm9vYg"),
                                         ("fooba", "Zm9vYmE"), ("foobar", "Zm9vYmFy")]
        for (plain, coded) in cases {
            XCTAssertEqual(Base64URL.encode(Array(plain.utf8)), coded)
            XCTAssertEqual(Base64URL.decode(coded), Array(plain.utf8))
        }
        XCTAssertEqual(Base64URL.encode([0xfb, 0xff, 0xbf]), "-_-_")
        XCTAssertEqual(Base64URL.decode("-_-_"), [0xfb, 0xff, 0xbf])
        let all = (0...255).map { UInt8($0) }
        XCTAssertEqual(Base64URL.decode(Base64URL.encode(all)), all)
    }

    func testRefusesWhatIsNotUnpaddedBase64URL() {
        for bad in ["Zg==", "Zm9v+", "Zm9v/", "Zm 9v", "Z", "Zh", "Zm9", "Zm9vY\n"] {
            XCTAssertNil(Base64URL.decode(bad), bad)
        }
        XCTAssertNotNil(Base64URL.decode("Zm8"))
    }

    func testSHA256() {
        XCTAssertEqual(Base64URL.encode(Digest.sha256(Array("abc".utf8))), "ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0")
        XCTAssertEqual(Digest.sha384([]).count, 48)
    }
}
