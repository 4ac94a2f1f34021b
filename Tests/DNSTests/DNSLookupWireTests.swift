// DNSLookup's wire parts: the query it sends, the servers it accepts, and the records it decodes from
// answers assembled byte by byte (uncompressed) or by DNSMessageWriter (compressed owners and targets).
import XCTest
@testable import DNS

final class DNSLookupWireTests: XCTestCase {
    typealias RR = UpstreamResponses.RR

    func testTheQueryIsOneQuestionWithRDAndEDNS() throws {
        let q = DNSLookupResult.query(for: UpstreamResponses.question("_acme-challenge.Example.ORG", .txt))
        let expected = TestMessages.query("_acme-challenge.example.org", type: .txt, id: 0, flags: 0x0100, opt: TestMessages.OPT())
        XCTAssertEqual(q, expected)
        let parsed = try UpstreamResponses.query(q)  // stoep's own query parser accepts it
        XCTAssertEqual(parsed.question, UpstreamResponses.question("_acme-challenge.example.org", .txt))
        XCTAssertEqual(parsed.edns?.udpPayloadSize, 1232)
    }

    func testServerAddresses() {
        let cases: [(String, String?)] = [
            ("1.1.1.1:53", "1.1.1.1:53"), ("9.9.9.9", "9.9.9.9:53"), ("127.0.0.1:5353", "127.0.0.1:5353"),
            ("[::1]:53", "[::1]:53"), ("2606:4700::1111", "[2606:4700::1111]:53"), ("[::1]:0", nil),
            ("dns.google:53", nil), ("::1:53x", nil), ("1.1.1.1:99999", nil), ("", nil),
        ]
        for (text, expected) in cases {
            XCTAssertEqual(DNSServerAddress(text)?.description, expected, text)
        }
    }

    func testTXTStringsAddressesAndNamesDecode() throws {
        let txt = RR(owner: "_acme-challenge.x.test", type: .txt, ttl: 60,
                     rdata: [3] + Array("abc".utf8) + [0] + [2] + Array("de".utf8))
        let v6: [UInt8] = [0x20, 0x01, 0x0d, 0xb8] + [UInt8](repeating: 0, count: 11) + [1]
        let response = UpstreamResponses.response(
            "_acme-challenge.x.test", type: .txt,
            answers: [RR.cname("_acme-challenge.x.test", "x.acme.test"), txt,
                      RR(owner: "x.acme.test", type: .a, ttl: 5, rdata: [10, 0, 0, 1]),
                      RR(owner: "x.acme.test", type: .aaaa, ttl: 5, rdata: v6)],
            authority: [RR(owner: "test", type: .ns, ttl: 9, rdata: TestMessages.wireName("ns.test"))])
        let answer = DNSUpstreamAnswer(response)
        XCTAssertTrue(answer.matches(queryID: 0xBEEF, question: UpstreamResponses.question("_acme-challenge.x.test", .txt)))
        let result = try XCTUnwrap(DNSLookupResult(answer, server: "s"))
        XCTAssertEqual(result.rcode, .noError)
        XCTAssertEqual(result.answers.map(\.type), [.cname, .txt, .a, .aaaa])
        XCTAssertEqual(result.answers[0].data, .name(try DNSName(text: "x.acme.test")))
        XCTAssertEqual(result.answers[1].data, .text(["abc", "", "de"]))
        XCTAssertEqual(result.answers[1].ttl, 60)
        XCTAssertEqual(result.texts, ["abcde"])
        XCTAssertEqual(result.addresses.map(\.description), ["10.0.0.1", "2001:db8::1"])
        XCTAssertEqual(result.authority.first?.data, .name(try DNSName(text: "ns.test")))
    }

    func testCompressedOwnersAndTheNegativeAnswersSOA() throws {
        let compressed = UpstreamResponses.compressed("host.example.org", count: 2)
        let result = try XCTUnwrap(DNSLookupResult(DNSUpstreamAnswer(compressed), server: "s"))
        XCTAssertEqual(result.answers.map(\.name.description), ["host.example.org", "host.example.org"])
        XCTAssertEqual(result.addresses.map(\.description), ["192.0.2.0", "192.0.2.1"])

        let nx = UpstreamResponses.response("nope.example.org", type: .txt, rcode: 3,
                                            authority: [RR.soa("example.org", ttl: 300, minimum: 60)])
        let negative = try XCTUnwrap(DNSLookupResult(DNSUpstreamAnswer(nx), server: "s"))
        XCTAssertEqual(negative.rcode, .nameError)
        XCTAssertEqual(negative.answers, [])
        guard case .soa(let primary, _, let serial, let minimum) = negative.authority.first?.data else {
            return XCTFail("no SOA: \(negative.authority)")
        }
        XCTAssertEqual(primary.description, "ns1.example.org")
        XCTAssertEqual(serial, 2024010101)
        XCTAssertEqual(minimum, 60)
    }

    func testMalformedRecordDataIsRefusedOrKeptRaw() {
        // A TXT string running past its RDATA: the answer is not used.
        let bad = UpstreamResponses.response("t.test", type: .txt, answers: [RR(owner: "t.test", type: .txt, ttl: 1, rdata: [5, 0x61])])
        XCTAssertNil(DNSLookupResult(DNSUpstreamAnswer(bad), server: "s"))
        // An A record of the wrong length, and an unknown type: kept as raw bytes.
        let odd = UpstreamResponses.response("t.test", answers: [RR(owner: "t.test", type: .a, ttl: 1, rdata: [1, 2, 3]),
                                                                 RR(owner: "t.test", type: DNSRecordType(rawValue: 99), ttl: 1, rdata: [7])])
        let result = DNSLookupResult(DNSUpstreamAnswer(odd), server: "s")
        XCTAssertEqual(result?.answers.map(\.data), [.other([1, 2, 3]), .other([7])])
        XCTAssertEqual(result?.addresses, [])
    }
}
