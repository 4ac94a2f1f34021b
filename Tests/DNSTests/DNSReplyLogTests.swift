// dnsmasq's reply/cached log lines, read from the records DNSMessageLayout found.
@testable import DNS
import XCTest

final class DNSReplyLogTests: XCTestCase {
    private func lines(_ message: [UInt8], _ type: DNSRecordType = .a) throws -> [String] {
        let layout = try? DNSMessageLayout(parsing: message, collectRecords: true)
        return DNSReplyLog.lines(message, layout: layout, name: try DNSName(text: "x.example"), type: type, verb: "reply")
    }

    func testAddressesAliasesAndNegativeAnswers() throws {
        let v6 = UpstreamResponses.RR(owner: "x.example", type: .aaaa, ttl: 60, rdata: [0x20, 0x01, 0x0d, 0xb8] + [UInt8](repeating: 0, count: 11) + [1])
        let message = UpstreamResponses.response("x.example", answers: [
            .cname("x.example", "y.example"), .a("y.example", [192, 0, 2, 9]), v6,
        ], authority: [.a("ns.example", [10, 0, 0, 1])])
        XCTAssertEqual(try lines(message), ["reply x.example is <CNAME>", "reply x.example is 192.0.2.9",
                                            "reply x.example is 2001:db8::1"], "authority records are not answers")
        XCTAssertEqual(try lines(UpstreamResponses.response("x.example", rcode: 3)), ["reply x.example is NXDOMAIN"])
        XCTAssertEqual(try lines(UpstreamResponses.response("x.example", rcode: 2)), ["reply x.example is SERVFAIL"])
        XCTAssertEqual(try lines(UpstreamResponses.response("x.example", type: .aaaa), .aaaa), ["reply x.example is NODATA-IPv6"])
        XCTAssertEqual(try lines(UpstreamResponses.response("x.example", type: .mx), .mx), ["reply x.example is NODATA"])
        // A message broken after its question has no records to list.
        XCTAssertEqual(try lines(Array(message.dropLast(3))), [])
    }
}
