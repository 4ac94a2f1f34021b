// The fixed 12-byte message header (RFC 1035 4.1.1) with the flag bits RFC 2535/4035 added.

/// Response codes, 12 bits wide: values above 15 need an OPT record for the high 8 bits (RFC 6891 6.1.3).
public struct DNSResponseCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue & 0x0FFF }
    public static let noError = DNSResponseCode(rawValue: 0)
    public static let formatError = DNSResponseCode(rawValue: 1)
    public static let serverFailure = DNSResponseCode(rawValue: 2)
    public static let nameError = DNSResponseCode(rawValue: 3)
    public static let notImplemented = DNSResponseCode(rawValue: 4)
    public static let refused = DNSResponseCode(rawValue: 5)
    public static let badVersion = DNSResponseCode(rawValue: 16)

    public var description: String {
        switch rawValue {
        case 0: return "NOERROR"
        case 1: return "FORMERR"
        case 2: return "SERVFAIL"
        case 3: return "NXDOMAIN"
        case 4: return "NOTIMP"
        case 5: return "REFUSED"
        case 16: return "BADVERS"
        default: return "RCODE\(rawValue)"
        }
    }
}

public struct DNSHeader: Equatable, Sendable {
    public static let size = 12

    public var id: UInt16
    public var flags: UInt16
    public var questionCount: UInt16
    public var answerCount: UInt16
    public var authorityCount: UInt16
    public var additionalCount: UInt16

    public init(id: UInt16, flags: UInt16 = 0, questionCount: UInt16 = 0, answerCount: UInt16 = 0,
                authorityCount: UInt16 = 0, additionalCount: UInt16 = 0) {
        self.id = id
        self.flags = flags
        self.questionCount = questionCount
        self.answerCount = answerCount
        self.authorityCount = authorityCount
        self.additionalCount = additionalCount
    }

    /// Reads the header at the start of `message`; throws `.shortHeader` under 12 bytes.
    public init(parsing message: [UInt8]) throws(DNSWireError) {
        guard message.count >= Self.size else { throw .shortHeader(length: message.count) }
        func u16(_ i: Int) -> UInt16 { UInt16(message[i]) << 8 | UInt16(message[i + 1]) }
        self.init(id: u16(0), flags: u16(2), questionCount: u16(4), answerCount: u16(6),
                  authorityCount: u16(8), additionalCount: u16(10))
    }

    public func write(into out: inout [UInt8]) {
        for field in [id, flags, questionCount, answerCount, authorityCount, additionalCount] {
            out.append(UInt8(field >> 8))
            out.append(UInt8(truncatingIfNeeded: field))
        }
    }

    // Flag bit positions within the 16-bit flags word.
    static let qrBit: UInt16 = 0x8000
    static let aaBit: UInt16 = 0x0400
    static let tcBit: UInt16 = 0x0200
    static let rdBit: UInt16 = 0x0100
    static let raBit: UInt16 = 0x0080
    static let adBit: UInt16 = 0x0020
    static let cdBit: UInt16 = 0x0010

    public var isResponse: Bool { flags & Self.qrBit != 0 }
    public var opcode: UInt8 { UInt8((flags >> 11) & 0x0F) }
    public var isAuthoritative: Bool { flags & Self.aaBit != 0 }
    public var isTruncated: Bool { flags & Self.tcBit != 0 }
    public var recursionDesired: Bool { flags & Self.rdBit != 0 }
    public var recursionAvailable: Bool { flags & Self.raBit != 0 }
    public var checkingDisabled: Bool { flags & Self.cdBit != 0 }
    /// The low 4 bits of the response code (the rest lives in OPT).
    public var rcodeLow: UInt8 { UInt8(flags & 0x000F) }

    /// Flags for an answer to `query`: QR=1, opcode, RD and CD copied, RA=1 (we recurse via
    /// upstreams, as dnsmasq advertises), AA as given, the low 4 bits of `rcode`.
    static func responseFlags(to query: DNSHeader, rcode: DNSResponseCode, authoritative: Bool) -> UInt16 {
        var f = qrBit | raBit | (query.flags & (0x7800 | rdBit | cdBit))
        if authoritative { f |= aaBit }
        return f | (rcode.rawValue & 0x000F)
    }
}
