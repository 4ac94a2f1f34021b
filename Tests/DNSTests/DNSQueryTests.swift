import XCTest
@testable import DNS

final class DNSQueryTests: XCTestCase {
    func testMalformedCorpus() throws {
        let responder = DNSResponder(zone: .empty)
        for item in MalformedPacketCorpus.cases {
            let packet = TestMessages.hex(item.hex)
            let decision = responder.respond(to: packet, transport: .udp)
            switch item.expected {
            case .drop:
                XCTAssertNotNil(decision.dropReason, item.name)
            case .reply(let rcode):
                guard let reply = decision.answerBytes else { XCTFail("\(item.name): no reply"); continue }
                let decoded = try DecodedResponse(reply)
                XCTAssertEqual(decoded.rcode.rawValue, rcode, item.name)
                XCTAssertEqual(decoded.header.id, 0xBEEF, item.name)
                XCTAssertTrue(decoded.header.isResponse, item.name)
                XCTAssertTrue(decoded.answers.isEmpty, item.name)
                XCTAssertLessThanOrEqual(reply.count, packet.count + EDNS.fixedSize, "\(item.name): amplification")
            }
        }
    }

    func testDropReasons() {
        let cases: [(String, DNSWireError)] = [
            ("beef0100", .shortHeader(length: 4)),
            ("beef81800001000000000000" + "0161047465737400 00010001", .notAQuery),
        ]
        for (hex, reason) in cases {
            guard case .failure(let rejection) = DNSQuery.parse(TestMessages.hex(hex)) else { XCTFail(hex); continue }
            XCTAssertEqual(rejection.reason, reason)
            XCTAssertNil(rejection.reply)
        }
    }

    func testValidQueryFields() throws {
        let packet = TestMessages.query("App.Test", type: .aaaa, id: 7,
                                        opt: .init(size: 4096, dnssecOK: true, options: [0, 10, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8]))
        let query = try DNSQuery.parse(packet).get()
        XCTAssertEqual(query.id, 7)
        XCTAssertEqual(query.question.name.description, "app.test")
        XCTAssertEqual(query.question.type, .aaaa)
        XCTAssertEqual(Array(query.questionNameWire), TestMessages.wireName("App.Test"))
        XCTAssertEqual(query.edns, EDNS(udpPayloadSize: 4096, dnssecOK: true))
        XCTAssertTrue(query.header.recursionDesired)
    }

    func testErrorRepliesEchoQuestionAndOPTWhenKnown() throws {
        // Trailing garbage after a valid OPT: FORMERR with question and OPT.
        let withOPT = TestMessages.query("a.test", opt: .init()) + [0xDE]
        var reply = try XCTUnwrap(DNSResponder(zone: .empty).respond(to: withOPT, transport: .udp).answerBytes)
        var decoded = try DecodedResponse(reply)
        XCTAssertEqual(decoded.rcode, .formatError)
        XCTAssertEqual(decoded.question?.name.description, "a.test")
        XCTAssertNotNil(decoded.opt)
        // Malformed OPT: FORMERR without OPT (RFC 6891 7).
        let badOPT = TestMessages.hex(MalformedPacketCorpus.headerWithOPT + MalformedPacketCorpus.question + "00 0029 04d0 00")
        reply = try XCTUnwrap(DNSResponder(zone: .empty).respond(to: badOPT, transport: .udp).answerBytes)
        decoded = try DecodedResponse(reply)
        XCTAssertNil(decoded.opt)
        XCTAssertEqual(decoded.header.questionCount, 1)
        // BADVERS: extended RCODE carried in OPT, version 0 advertised.
        let v1 = TestMessages.query("a.test", opt: .init(version: 1))
        reply = try XCTUnwrap(DNSResponder(zone: .empty).respond(to: v1, transport: .udp).answerBytes)
        decoded = try DecodedResponse(reply)
        XCTAssertEqual(decoded.rcode, .badVersion)
        XCTAssertEqual(decoded.opt?.version, 0)
    }

    func testRefusedHelper() throws {
        let query = try DNSQuery.parse(TestMessages.query("Example.COM", opt: .init(size: 600))).get()
        let reply = DNSResponder(zone: .empty).refused(query)
        let decoded = try DecodedResponse(reply)
        XCTAssertEqual(decoded.rcode, .refused)
        XCTAssertEqual(decoded.extendedError, 14)
        XCTAssertFalse(decoded.header.isAuthoritative)
        XCTAssertTrue(decoded.header.recursionDesired)
        XCTAssertEqual(Array(reply[12..<(12 + 13)]), TestMessages.wireName("Example.COM"))
        let servfail = try DecodedResponse(DNSErrorResponse.make(to: query, rcode: .serverFailure))
        XCTAssertEqual(servfail.rcode, .serverFailure)
        XCTAssertNil(servfail.extendedError)
    }
}
