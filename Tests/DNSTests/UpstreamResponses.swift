// Upstream answers for the forwarding and cache tests, assembled byte by byte (uncompressed)
// or with DNSMessageWriter (compressed), so both framings reach the code under test.
import XCTest
@testable import DNS

enum UpstreamResponses {
    /// One resource record, written uncompressed.
    struct RR {
        var owner: String
        var type: DNSRecordType
        var ttl: UInt32
        var rdata: [UInt8]
        var recordClass: UInt16 = 1

        var bytes: [UInt8] {
            TestMessages.wireName(owner) + TestMessages.u16(type.rawValue) + TestMessages.u16(recordClass)
                + TestMessages.u16(UInt16(ttl >> 16)) + TestMessages.u16(UInt16(ttl & 0xFFFF))
                + TestMessages.u16(UInt16(rdata.count)) + rdata
        }

        static func a(_ owner: String, _ address: [UInt8] = [192, 0, 2, 1], ttl: UInt32 = 300) -> RR {
            RR(owner: owner, type: .a, ttl: ttl, rdata: address)
        }

        static func cname(_ owner: String, _ target: String, ttl: UInt32 = 300) -> RR {
            RR(owner: owner, type: .cname, ttl: ttl, rdata: TestMessages.wireName(target))
        }

        /// An SOA whose last RDATA field (MINIMUM) is `minimum` (RFC 1035 3.3.13).
        static func soa(_ owner: String, ttl: UInt32, minimum: UInt32) -> RR {
            var rdata = TestMessages.wireName("ns1." + owner) + TestMessages.wireName("hostmaster." + owner)
            for field: UInt32 in [2024010101, 7200, 3600, 1_209_600, minimum] {
                rdata += TestMessages.u16(UInt16(field >> 16)) + TestMessages.u16(UInt16(field & 0xFFFF))
            }
            return RR(owner: owner, type: .soa, ttl: ttl, rdata: rdata)
        }
    }

    /// A response to `name`/`type`: QR=1, RD=1, RA=1 by default, records uncompressed.
    /// `optAt` inserts the OPT record before that many additional records (default: last).
    static func response(_ name: String, type: DNSRecordType = .a, id: UInt16 = 0xBEEF, flags: UInt16 = 0x8180,
                         rcode: UInt16 = 0, recordClass: UInt16 = 1, answers: [RR] = [], authority: [RR] = [],
                         additional: [RR] = [], opt: TestMessages.OPT? = nil, optAt: Int? = nil) -> [UInt8] {
        var out = TestMessages.u16(id) + TestMessages.u16(flags | rcode) + TestMessages.u16(1)
            + TestMessages.u16(UInt16(answers.count)) + TestMessages.u16(UInt16(authority.count))
            + TestMessages.u16(UInt16(additional.count + (opt == nil ? 0 : 1)))
        out += TestMessages.wireName(name) + TestMessages.u16(type.rawValue) + TestMessages.u16(recordClass)
        for rr in answers + authority { out += rr.bytes }
        let split = min(optAt ?? additional.count, additional.count)
        for rr in additional[..<split] { out += rr.bytes }
        if let opt { out += opt.bytes }
        for rr in additional[split...] { out += rr.bytes }
        return out
    }

    /// A compressed response built with DNSMessageWriter: `count` A records for `name`
    /// (owner names are pointers to the question), then OPT when given.
    static func compressed(_ name: String, count: Int, ttl: UInt32 = 300, id: UInt16 = 0x1111,
                           opt: EDNS? = nil) -> [UInt8] {
        let dnsName = try! DNSName(text: name)
        var writer = DNSMessageWriter()
        writer.append(DNSHeader(id: id, flags: 0x8180, questionCount: 1, answerCount: UInt16(count),
                                additionalCount: opt == nil ? 0 : 1))
        writer.appendQuestion(wire: TestMessages.wireName(name)[...] + [0, 1, 0, 1], name: dnsName)
        for i in 0..<count {
            writer.appendAddress(owner: dnsName, .v4(IPv4Address(0xC000_0200 | UInt32(i & 0xFF))), ttl: ttl)
        }
        if let opt { writer.appendOPT(opt) }
        return writer.bytes
    }

    /// The parsed client query for these bytes; throws the rejection when they are not a valid query.
    static func query(_ bytes: [UInt8]) throws -> DNSQuery {
        try DNSQuery.parse(bytes).get()
    }

    static func question(_ name: String, _ type: DNSRecordType = .a, recordClass: UInt16 = 1) -> DNSQuestion {
        DNSQuestion(name: try! DNSName(text: name), type: type, recordClass: recordClass)
    }

    /// All TTL fields of the answer, authority and additional records (OPT excluded), in order.
    static func ttls(_ message: [UInt8]) throws -> [UInt32] {
        let layout = try DNSMessageLayout(parsing: message, collectRecords: true)
        return layout.records.map { message.dnsUInt32(at: $0.ttlOffset) }
    }
}

extension DNSCache {
    /// Stores raw upstream bytes, read as the forwarder reads them (DNSUpstreamAnswer).
    func store(_ response: [UInt8], question: DNSQuestion, dnssecOK: Bool, now: UInt64) {
        store(DNSUpstreamAnswer(response), question: question, dnssecOK: dnssecOK, now: now)
    }
}
