// EDNS(0): the OPT pseudo-record (RFC 6891 6.1). Its CLASS carries the sender's UDP payload
// size and its TTL the extended RCODE, the version and the DO bit (RFC 3225).

public struct EDNS: Equatable, Sendable {
    /// RFC 6891 6.2.5: values below 512 are treated as 512.
    public static let minimumUDPSize: UInt16 = 512
    /// The size dnsmasq ≥2.90 advertises and caps at (DNS flag day 2020).
    public static let defaultUDPSize: UInt16 = 1232
    /// Size of an OPT record without options: root(1) type(2) class(2) ttl(4) rdlength(2).
    public static let fixedSize = 11
    /// Option code of Extended DNS Errors (RFC 8914).
    public static let extendedErrorOption: UInt16 = 15

    public var udpPayloadSize: UInt16
    /// The upper 8 bits of a 12-bit RCODE.
    public var extendedRCode: UInt8
    public var version: UInt8
    public var dnssecOK: Bool

    public init(udpPayloadSize: UInt16 = EDNS.defaultUDPSize, extendedRCode: UInt8 = 0,
                version: UInt8 = 0, dnssecOK: Bool = false) {
        self.udpPayloadSize = udpPayloadSize
        self.extendedRCode = extendedRCode
        self.version = version
        self.dnssecOK = dnssecOK
    }

    /// Parses the OPT record whose owner name starts at `offset` (the caller has seen TYPE=41).
    /// Validates the owner (root), the fixed fields, RDLENGTH and every option's TLV framing.
    /// Returns the record and the offset just past it.
    public static func parse(_ message: [UInt8], at offset: Int) throws(DNSWireError) -> (edns: EDNS, end: Int) {
        guard offset < message.count else { throw .truncatedOPT(offset: offset) }
        guard message[offset] == 0 else { throw .optOwnerNotRoot(offset: offset) }
        let fixedEnd = offset + fixedSize
        guard fixedEnd <= message.count else { throw .truncatedOPT(offset: offset) }
        func u16(_ i: Int) -> UInt16 { UInt16(message[i]) << 8 | UInt16(message[i + 1]) }
        let size = u16(offset + 3)
        let rdLength = Int(u16(offset + 9))
        let end = fixedEnd + rdLength
        guard end <= message.count else { throw .truncatedOPT(offset: offset) }
        var option = fixedEnd
        while option < end {
            guard option + 4 <= end else { throw .truncatedOPT(offset: offset) }
            let next = option + 4 + Int(u16(option + 2))
            guard next <= end else { throw .truncatedOPT(offset: offset) }
            option = next
        }
        let edns = EDNS(udpPayloadSize: size, extendedRCode: message[offset + 5], version: message[offset + 6],
                        dnssecOK: message[offset + 7] & 0x80 != 0)
        return (edns, end)
    }

    /// Appends this OPT record. `extendedError` adds an RFC 8914 option with that INFO-CODE.
    /// Byte by byte: an array literal here would be a temporary array (a heap allocation per answer).
    public func write(into out: inout [UInt8], extendedError: UInt16? = nil) {
        out.append(0)
        out.append(0); out.append(41)
        out.append(UInt8(udpPayloadSize >> 8)); out.append(UInt8(truncatingIfNeeded: udpPayloadSize))
        out.append(extendedRCode); out.append(version)
        out.append(dnssecOK ? 0x80 : 0); out.append(0)
        if let code = extendedError {
            out.append(0); out.append(6)  // RDLENGTH: one option of 2 bytes
            out.append(0); out.append(UInt8(Self.extendedErrorOption)); out.append(0); out.append(2)
            out.append(UInt8(code >> 8)); out.append(UInt8(truncatingIfNeeded: code))
        } else {
            out.append(0); out.append(0)
        }
    }

    /// The OPT record to put in our answer to a query that carried `self`: our size, the
    /// extended RCODE bits of `rcode`, version 0, the DO bit copied (RFC 3225 3).
    func reply(advertising size: UInt16, rcode: DNSResponseCode) -> EDNS {
        EDNS(udpPayloadSize: size, extendedRCode: UInt8(truncatingIfNeeded: rcode.rawValue >> 4),
             version: 0, dnssecOK: dnssecOK)
    }
}
