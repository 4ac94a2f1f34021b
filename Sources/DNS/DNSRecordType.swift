// Record type codes. Names follow IANA's registry as dnsmasq's cache.c prints them in
// `query[TYPE]` log lines; unknown codes print as `type=N` like dnsmasq does.

public struct DNSRecordType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    public static let a = DNSRecordType(rawValue: 1)
    public static let ns = DNSRecordType(rawValue: 2)
    public static let cname = DNSRecordType(rawValue: 5)
    public static let soa = DNSRecordType(rawValue: 6)
    public static let ptr = DNSRecordType(rawValue: 12)
    public static let mx = DNSRecordType(rawValue: 15)
    public static let txt = DNSRecordType(rawValue: 16)
    public static let aaaa = DNSRecordType(rawValue: 28)
    public static let srv = DNSRecordType(rawValue: 33)
    public static let opt = DNSRecordType(rawValue: 41)
    public static let https = DNSRecordType(rawValue: 65)
    public static let tkey = DNSRecordType(rawValue: 249)
    public static let tsig = DNSRecordType(rawValue: 250)
    public static let ixfr = DNSRecordType(rawValue: 251)
    public static let axfr = DNSRecordType(rawValue: 252)
    public static let mailb = DNSRecordType(rawValue: 253)
    public static let maila = DNSRecordType(rawValue: 254)
    public static let any = DNSRecordType(rawValue: 255)

    /// A or AAAA: the types `domain-needed` holds back.
    public var isAddress: Bool { self == .a || self == .aaaa }

    /// The error a recursive server answers to a question for this meta-type (RFC 6895 3.1), as
    /// unbound does (worker.c): REFUSED for zone transfers, FORMERR for OPT, TKEY, TSIG, MAILA and
    /// the unassigned meta range 128-248. nil for data types, ANY and MAILB (answered NXDOMAIN).
    public var metaQuestionRcode: DNSResponseCode? {
        switch rawValue {
        case 251, 252: return .refused
        case 41, 128...250, 254: return .formatError
        default: return nil
        }
    }

    /// The mnemonic, or nil when the code is not in the table.
    public var mnemonic: String? {
        switch rawValue {
        case 1...65: return Self.low[Int(rawValue)]
        case 99: return "SPF"
        case 249: return "TKEY"
        case 250: return "TSIG"
        case 251: return "IXFR"
        case 252: return "AXFR"
        case 253: return "MAILB"
        case 254: return "MAILA"
        case 255: return "ANY"
        case 256: return "URI"
        case 257: return "CAA"
        case 32768: return "TA"
        case 32769: return "DLV"
        default: return nil
        }
    }

    public var description: String { mnemonic ?? "type=\(rawValue)" }

    // Index = type code; nil for unassigned codes (54).
    private static let low: [String?] = [
        nil, "A", "NS", "MD", "MF", "CNAME", "SOA", "MB", "MG", "MR", "NULL", "WKS", "PTR", "HINFO", "MINFO",
        "MX", "TXT", "RP", "AFSDB", "X25", "ISDN", "RT", "NSAP", "NSAP_PTR", "SIG", "KEY", "PX", "GPOS", "AAAA",
        "LOC", "NXT", "EID", "NIMLOC", "SRV", "ATMA", "NAPTR", "KX", "CERT", "A6", "DNAME", "SINK", "OPT", "APL",
        "DS", "SSHFP", "IPSECKEY", "RRSIG", "NSEC", "DNSKEY", "DHCID", "NSEC3", "NSEC3PARAM", "TLSA", "SMIMEA",
        nil, "HIP", "NINFO", "RKEY", "TALINK", "CDS", "CDNSKEY", "OPENPGPKEY", "CSYNC", "ZONEMD", "SVCB", "HTTPS",
    ]
}
