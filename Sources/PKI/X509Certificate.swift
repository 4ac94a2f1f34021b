// One X.509 certificate held by OpenSSL (X509*), inside the PKI module: read from PEM, written as PEM or
// DER, and asked for its names and validity. `CertificateFacts` is the public face of the last two.
import COpenSSL

final class X509Certificate {
    /// The X509*, owned.
    let x509: OpaquePointer

    init(owning x509: OpaquePointer) { self.x509 = x509 }
    deinit { X509_free(x509) }

    /// The first certificate of a PEM text (text before it is skipped), nil when there is none.
    convenience init?(pem: [UInt8]) {
        defer { clearOpenSSLErrors() }
        guard let x = withMemoryBIO(pem, { PEM_read_bio_X509($0, nil, nil, nil) }) else { return nil }
        self.init(owning: x)
    }

    /// Every certificate of a PEM text, in order (a chain: leaf first).
    static func all(pem: [UInt8]) -> [X509Certificate] {
        defer { clearOpenSSLErrors() }
        return withMemoryBIO(pem) { bio -> [X509Certificate] in
            var out: [X509Certificate] = []
            while let x = PEM_read_bio_X509(bio, nil, nil, nil) { out.append(X509Certificate(owning: x)) }
            return out
        } ?? []
    }

    var pem: [UInt8] {
        defer { clearOpenSSLErrors() }
        return writtenToMemoryBIO { PEM_write_bio_X509($0, x509) } ?? []
    }

    var der: [UInt8] {
        defer { clearOpenSSLErrors() }
        return derEncoded { i2d_X509(x509, $0) } ?? []
    }

    var notBefore: Int64 { X509Certificate.seconds(X509_get0_notBefore(x509)) }
    var notAfter: Int64 { X509Certificate.seconds(X509_get0_notAfter(x509)) }

    /// The subjectAltName's dNSName entries and IP addresses (as text), in order; the subject CN when the
    /// certificate has no subjectAltName (old self-made certificates).
    var names: [String] {
        defer { clearOpenSSLErrors() }
        guard let raw = X509_get_ext_d2i(x509, NID_subject_alt_name, nil, nil) else {
            return commonName.map { [$0] } ?? []
        }
        let names = OpaquePointer(raw)   // GENERAL_NAMES*, a STACK_OF(GENERAL_NAME)
        defer { GENERAL_NAMES_free(names) }
        var out: [String] = []
        for i in 0..<OPENSSL_sk_num(names) {   // sk_GENERAL_NAME_num and _value are macros
            guard let item = OPENSSL_sk_value(names, i) else { continue }
            let name = item.assumingMemoryBound(to: GENERAL_NAME.self).pointee
            switch name.type {
            case GEN_DNS:
                if let text = X509Certificate.bytes(of: name.d.dNSName) { out.append(String(decoding: text, as: UTF8.self)) }
            case GEN_IPADD:
                if let address = X509Certificate.bytes(of: name.d.iPAddress), let text = IPAddressText.format(address) {
                    out.append(text)
                }
            default:
                break
            }
        }
        return out
    }

    /// The subject's first commonName, nil without one.
    var commonName: String? {
        guard let subject = X509_get_subject_name(x509) else { return nil }
        let index = X509_NAME_get_index_by_NID(subject, NID_commonName, -1)
        guard index >= 0, let entry = X509_NAME_get_entry(subject, index),
              let data = X509_NAME_ENTRY_get_data(entry), let text = X509Certificate.bytes(of: data) else { return nil }
        return String(decoding: text, as: UTF8.self)
    }

    /// The contents of an ASN1_STRING (IA5String, OCTET STRING...).
    static func bytes(of string: UnsafePointer<ASN1_STRING>?) -> [UInt8]? {
        guard let string, let data = ASN1_STRING_get0_data(string) else { return nil }
        return Array(UnsafeBufferPointer(start: data, count: Int(ASN1_STRING_length(string))))
    }

    static func bytes(of string: UnsafeMutablePointer<ASN1_STRING>?) -> [UInt8]? {
        bytes(of: string.map { UnsafePointer($0) })
    }

    /// An ASN1_TIME (UTCTime or GeneralizedTime) as seconds since the epoch; 0 when it cannot be read.
    static func seconds(_ time: UnsafePointer<ASN1_TIME>?) -> Int64 {
        guard let time else { return 0 }
        var parts = tm()
        guard ASN1_TIME_to_tm(time, &parts) == 1 else { return 0 }
        return UTCTime.seconds(year: Int64(parts.tm_year) + 1900, month: Int64(parts.tm_mon) + 1, day: Int64(parts.tm_mday),
                               hour: Int64(parts.tm_hour), minute: Int64(parts.tm_min), second: Int64(parts.tm_sec))
    }
}

/// Facts of the first certificate of a PEM text: the names it serves and its validity, in seconds since
/// the epoch (renewal decisions, `show info`).
public struct CertificateFacts: Sendable, Equatable {
    /// subjectAltName dNSName entries and IP addresses (text), in the certificate's order; the subject CN
    /// when it has no subjectAltName.
    public let names: [String]
    public let notBefore: Int64
    public let notAfter: Int64
    /// The subject's CN (a CA's name as devices list it), nil without one.
    public let subjectCommonName: String?
    /// The certificate's DER (a `.crt` download) and its SHA-256 fingerprint as "AB:CD:…".
    public let der: [UInt8]
    public var fingerprint: String { CertificateFacts.fingerprint(der) }

    /// nil when the text holds no certificate.
    public init?(pem: [UInt8]) {
        guard let certificate = X509Certificate(pem: pem) else { return nil }
        self.init(certificate)
    }

    init(_ certificate: X509Certificate) {
        names = certificate.names
        notBefore = certificate.notBefore
        notAfter = certificate.notAfter
        subjectCommonName = certificate.commonName
        der = certificate.der
    }

    static func fingerprint(_ der: [UInt8]) -> String {
        let digits = Array("0123456789ABCDEF".utf8)
        return Digest.sha256(der).map { String(decoding: [digits[Int($0 >> 4)], digits[Int($0 & 15)]], as: UTF8.self) }
            .joined(separator: ":")
    }
}

/// Civil time to epoch seconds without the C library's time zone state (Howard Hinnant's
/// days_from_civil, proleptic Gregorian calendar).
enum UTCTime {
    static func seconds(year: Int64, month: Int64, day: Int64, hour: Int64, minute: Int64, second: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        let days = era * 146097 + dayOfEra - 719468
        return days * 86400 + hour * 3600 + minute * 60 + second
    }
}

/// IP addresses in certificates: 4 or 16 bytes as text (IPv6 in RFC 5952's shortest form), and text
/// as those bytes.
enum IPAddressText {
    static func format(_ bytes: [UInt8]) -> String? {
        if bytes.count == 4 { return bytes.map(String.init).joined(separator: ".") }
        guard bytes.count == 16 else { return nil }
        let groups = (0..<8).map { Int(bytes[2 * $0]) << 8 | Int(bytes[2 * $0 + 1]) }
        // The longest run of two or more zero groups becomes "::" (the first such run on a tie).
        var bestStart = -1, bestLength = 1, i = 0
        while i < 8 {
            guard groups[i] == 0 else { i += 1; continue }
            var j = i
            while j < 8 && groups[j] == 0 { j += 1 }
            if j - i > bestLength { bestStart = i; bestLength = j - i }
            i = j
        }
        let hex = groups.map { String($0, radix: 16) }
        guard bestStart >= 0 else { return hex.joined(separator: ":") }
        return hex[..<bestStart].joined(separator: ":") + "::" + hex[(bestStart + bestLength)...].joined(separator: ":")
    }

    /// The bytes of an IPv4 or IPv6 literal, nil when `text` is not one (a host name).
    static func parse(_ text: String) -> [UInt8]? {
        defer { clearOpenSSLErrors() }
        guard let octets = a2i_IPADDRESS(text) else { return nil }
        defer { ASN1_OCTET_STRING_free(octets) }
        return X509Certificate.bytes(of: octets)
    }
}
