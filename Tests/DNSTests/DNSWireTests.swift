import XCTest
@testable import DNS

final class DNSWireTests: XCTestCase {
    func testHeaderRoundTrip() throws {
        let headers = [
            DNSHeader(id: 0, flags: 0),
            DNSHeader(id: 0xFFFF, flags: 0x8583, questionCount: 1, answerCount: 2, authorityCount: 3, additionalCount: 4),
        ]
        for header in headers {
            var bytes: [UInt8] = []
            header.write(into: &bytes)
            XCTAssertEqual(bytes.count, 12)
            XCTAssertEqual(try DNSHeader(parsing: bytes), header)
        }
        let h = DNSHeader(id: 1, flags: 0x8783)
        XCTAssertTrue(h.isResponse && h.isAuthoritative && h.isTruncated && h.recursionDesired && h.recursionAvailable)
        XCTAssertEqual(h.rcodeLow, 3)
    }

    func testEDNSRoundTrip() throws {
        let values = [
            EDNS(), EDNS(udpPayloadSize: 512, extendedRCode: 1, version: 0, dnssecOK: true),
            EDNS(udpPayloadSize: 65535, extendedRCode: 0, version: 2, dnssecOK: false),
        ]
        for value in values {
            for ede: UInt16? in [nil, 14] {
                var bytes: [UInt8] = []
                value.write(into: &bytes, extendedError: ede)
                let (parsed, end) = try EDNS.parse(bytes, at: 0)
                XCTAssertEqual(parsed, value)
                XCTAssertEqual(end, bytes.count)
                XCTAssertEqual(bytes.count, EDNS.fixedSize + (ede == nil ? 0 : 6))
            }
        }
    }

    func testWriterCompressesRepeatedSuffixes() throws {
        let question = try DNSName(text: "www.example.com")
        // Build through a fresh writer that includes type/class, then records.
        var full = DNSMessageWriter()
        full.append(DNSHeader(id: 1, flags: 0x8000, questionCount: 1, answerCount: 3))
        full.appendQuestion(wire: (TestMessages.wireName("WWW.example.com") + [0, 1, 0, 1])[...], name: question)
        full.appendNameRecord(owner: question, type: .cname, ttl: 1, target: try DNSName(text: "mail.example.com"))
        full.appendNameRecord(owner: try DNSName(text: "mail.example.com"), type: .ptr, ttl: 1, target: try DNSName(text: "example.com"))
        full.appendAddress(owner: try DNSName(text: "Mail.Example.com"), .v6(IPv6Address("fd00::1")!), ttl: 1)
        let bytes = full.bytes
        let decoded = try DecodedResponse(bytes)
        XCTAssertEqual(decoded.answers.map(\.name), ["www.example.com", "mail.example.com", "mail.example.com"])
        XCTAssertEqual(decoded.answers.map(\.data), ["mail.example.com", "example.com", "fd00::1"])
        // owner ptr(2) + fixed(10) + "mail"(5) + ptr(2); then owner ptr(2) + 10 + ptr(2); then ptr(2) + 10 + 16.
        XCTAssertEqual(bytes.count, 12 + 21 + 19 + 14 + 28)
    }

    func testWriterTruncateForgetsLaterNames() throws {
        var writer = DNSMessageWriter()
        writer.append(DNSHeader(id: 1))
        let mark = writer.count
        writer.appendName(try DNSName(text: "a.example"))
        writer.truncate(to: mark)
        writer.appendName(try DNSName(text: "b.example"))
        // No pointer into the removed bytes: written in full.
        XCTAssertEqual(Array(writer.bytes[mark...]), TestMessages.wireName("b.example"))
    }

    /// Mutated packets never crash and never produce a reply larger than the packet plus OPT,
    /// unless it is a local answer (here the zone is empty, so there are none).
    func testMutationsNeverCrashOrAmplify() {
        var seed: UInt64 = 0x9E3779B97F4A7C15
        func next() -> UInt64 {
            seed ^= seed << 13; seed ^= seed >> 7; seed ^= seed << 17
            return seed
        }
        let responder = DNSResponder(zone: .empty)
        var seeds = MalformedPacketCorpus.cases.map { TestMessages.hex($0.hex) }
        seeds.append(TestMessages.query("www.example.com", opt: .init()))
        seeds.append(TestMessages.query("x.y", type: .aaaa))
        for _ in 0..<20_000 {
            var packet = seeds[Int(next() % UInt64(seeds.count))]
            let edits = Int(next() % 4) + 1
            for _ in 0..<edits {
                switch next() % 4 {
                case 0 where !packet.isEmpty: packet[Int(next() % UInt64(packet.count))] = UInt8(truncatingIfNeeded: next())
                case 1 where !packet.isEmpty: packet.removeLast(Int(next() % UInt64(min(packet.count, 8))))
                case 2: packet.append(UInt8(truncatingIfNeeded: next()))
                default: if packet.count > 13 { packet[Int(next() % 12)] ^= UInt8(truncatingIfNeeded: next()) }
                }
            }
            if case .answer(let reply) = responder.respond(to: packet, transport: .udp) {
                XCTAssertLessThanOrEqual(reply.count, packet.count + EDNS.fixedSize)
            }
        }
    }
}
