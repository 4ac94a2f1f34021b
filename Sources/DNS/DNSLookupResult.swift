// stoep's own DNS questions (DNSLookup.swift) on the wire: the query message, the servers asked, and the
// answer's records decoded into values (TXT strings, addresses, names, SOA). The query is written by
// DNSMessageWriter and the answer read once by DNSUpstreamAnswer, as the forwarder does; this file only
// turns the records that walk found into values. Pure (bytes in, values out, tested alone) but for
// reading resolv.conf.
import Reactor

/// A server stoep asks: a numeric address and a port ("1.1.1.1:53", "[2606:4700::1111]:53", "9.9.9.9").
public struct DNSServerAddress: Hashable, Sendable, CustomStringConvertible {
    public let ip: IPAddress
    public let port: UInt16

    public init(ip: IPAddress, port: UInt16 = 53) {
        self.ip = ip
        self.port = port
    }

    /// `ip`, `ip:port` or `[ipv6]:port` (Traefik's `resolvers`, lego's `--dns.resolvers`: a missing port
    /// is 53). Nil for host names (stoep has no blocking resolver to look them up with) and junk.
    public init?(_ text: String) {
        if let ip = IPAddress(text) {
            self.init(ip: ip)
            return
        }
        guard let colon = text.lastIndex(of: ":"), let port = UInt16(text[text.index(after: colon)...]), port > 0 else {
            return nil
        }
        var host = text[..<colon]
        if host.hasPrefix("[") && host.hasSuffix("]") {
            host = host.dropFirst().dropLast()
        } else if host.contains(":") {
            return nil  // IPv6 with a port needs its brackets
        }
        guard let ip = IPAddress(String(host)) else { return nil }
        self.init(ip: ip, port: port)
    }

    /// The nameservers of a resolv.conf file (port 53); empty when it cannot be read or names none.
    public static func system(resolvConf path: String = "/etc/resolv.conf") -> [DNSServerAddress] {
        guard case .success(let bytes) = readWholeFile(path, limit: 1 << 20) else { return [] }
        return DNSUpstreams.parseResolvConf(String(decoding: bytes, as: UTF8.self)).map { DNSServerAddress(ip: $0) }
    }

    public var description: String {
        if case .v6 = ip { return "[\(ip)]:\(port)" }
        return "\(ip):\(port)"
    }
}

/// One record of an answer, decoded.
public struct DNSLookupRecord: Equatable, Sendable {
    public enum Data: Equatable, Sendable {
        case address(IPAddress)
        /// TXT: its character-strings in order (RFC 1035 3.3.14); a value longer than 255 bytes is split
        /// over several, so compare `joined`.
        case text([String])
        /// CNAME, NS, PTR: the target.
        case name(DNSName)
        case soa(primary: DNSName, mailbox: DNSName, serial: UInt32, minimumTTL: UInt32)
        /// Any other type, or RDATA that does not decode as its type says: the raw bytes.
        case other([UInt8])
    }

    public let name: DNSName
    public let type: DNSRecordType
    public let ttl: UInt32
    public let data: Data
}

extension DNSLookupRecord.Data {
    /// A TXT record's strings as one value (how ACME and lego compare them).
    public var joinedText: String? {
        if case .text(let strings) = self { return strings.joined() }
        return nil
    }
}

/// A server's answer to one DNSLookup: its rcode and its records, decoded.
public struct DNSLookupResult: Sendable {
    public let rcode: DNSResponseCode
    /// AA: the server is an authority for the name (a recursive resolver's answers are not).
    public let authoritative: Bool
    /// The answer section in order: a CNAME chain comes first, then the records of the asked type.
    public let answers: [DNSLookupRecord]
    /// The authority section (a negative answer's SOA, a referral's NS records).
    public let authority: [DNSLookupRecord]
    /// Who answered ("1.1.1.1:53").
    public let server: String

    /// The TXT values of the answer section, each record's strings joined.
    public var texts: [String] { answers.compactMap { $0.data.joinedText } }

    /// The A and AAAA addresses of the answer section, in its order.
    public var addresses: [IPAddress] {
        answers.compactMap { if case .address(let ip) = $0.data { ip } else { nil } }
    }

    /// Decodes `answer` (already matched to the query); nil when its records do not parse.
    init?(_ answer: DNSUpstreamAnswer, server: String) {
        guard let layout = answer.layout, layout.recordsCollected, let header = answer.header else { return nil }
        var answers: [DNSLookupRecord] = []
        var authority: [DNSLookupRecord] = []
        for record in layout.records {
            guard let decoded = Self.decode(answer.bytes, record) else { return nil }
            switch record.section {
            case .answer: answers.append(decoded)
            case .authority: authority.append(decoded)
            case .additional: break
            }
        }
        rcode = layout.rcode
        authoritative = header.isAuthoritative
        self.answers = answers
        self.authority = authority
        self.server = server
    }

    /// The query stoep sends: ID 0 (each attempt writes its own random one), RD=1, one question of class
    /// IN, and an OPT record offering EDNS's 1,232-byte UDP answers (TXT records of several challenges
    /// do not fit 512 bytes; larger answers come truncated and are asked again over TCP).
    static func query(for question: DNSQuestion) -> [UInt8] {
        var writer = DNSMessageWriter(capacity: 64 + question.name.wire.count)
        writer.append(DNSHeader(id: 0, flags: DNSHeader.rdBit, questionCount: 1, additionalCount: 1))
        var wire = Array(question.name.wire)
        wire += [UInt8(question.type.rawValue >> 8), UInt8(truncatingIfNeeded: question.type.rawValue),
                 UInt8(question.recordClass >> 8), UInt8(truncatingIfNeeded: question.recordClass)]
        writer.appendQuestion(wire: wire[...], name: question.name)
        writer.appendOPT(EDNS())
        return writer.bytes
    }

    /// One record's owner, type, TTL and data. Names in RDATA may be compressed (RFC 1035 4.1.4; RFC 3597
    /// allows it only for the well-known types decoded here).
    static func decode(_ message: [UInt8], _ record: DNSMessageLayout.Record) -> DNSLookupRecord? {
        guard let (owner, _) = try? DNSName.parse(message, at: record.start) else { return nil }
        let type = DNSRecordType(rawValue: record.type)
        let ttl = message.dnsUInt32(at: record.ttlOffset)
        let rdata = record.rdataStart..<record.end
        let data: DNSLookupRecord.Data
        switch type {
        case .a where rdata.count == 4:
            data = .address(.v4(IPv4Address(message.dnsUInt32(at: rdata.lowerBound))))
        case .aaaa where rdata.count == 16:
            var high: UInt64 = 0, low: UInt64 = 0
            for i in 0..<8 { high = high << 8 | UInt64(message[rdata.lowerBound + i]) }
            for i in 8..<16 { low = low << 8 | UInt64(message[rdata.lowerBound + i]) }
            data = .address(.v6(IPv6Address(high: high, low: low)))
        case .txt:
            var strings: [String] = []
            var i = rdata.lowerBound
            while i < rdata.upperBound {
                let end = i + 1 + Int(message[i])
                guard end <= rdata.upperBound else { return nil }
                strings.append(String(decoding: message[(i + 1)..<end], as: UTF8.self))
                i = end
            }
            data = .text(strings)
        case .cname, .ns, .ptr:
            guard let (target, end) = try? DNSName.parse(message, at: rdata.lowerBound), end == rdata.upperBound else { return nil }
            data = .name(target)
        case .soa:
            guard let (primary, afterPrimary) = try? DNSName.parse(message, at: rdata.lowerBound),
                  let (mailbox, afterMailbox) = try? DNSName.parse(message, at: afterPrimary),
                  afterMailbox + 20 == rdata.upperBound else { return nil }
            data = .soa(primary: primary, mailbox: mailbox, serial: message.dnsUInt32(at: afterMailbox),
                        minimumTTL: message.dnsUInt32(at: afterMailbox + 16))
        default:
            data = .other(Array(message[rdata]))
        }
        return DNSLookupRecord(name: owner, type: type, ttl: ttl, data: data)
    }
}
