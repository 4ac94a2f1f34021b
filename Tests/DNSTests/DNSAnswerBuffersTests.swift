// Answers written through a listener's reused buffers (DNSAnswerBuffers, issue 18) are byte for byte the
// answers written fresh, whatever the previous query left in the buffers (longer, shorter, truncated,
// forwarded), and a query that is kept keeps its bytes while the buffers move on.
import XCTest
@testable import DNS

final class DNSAnswerBuffersTests: XCTestCase {
    func testReusedBuffersAnswerByteForByteAsFreshOnes() throws {
        let conf = DNSResponderTests.manyAddresses + "\n" + """
            address=/bench.lan/10.0.0.1
            host-record=router.lan,10.0.0.1,fd00::1
            cname=www.lan,router.lan
            cname=deep.lan,www.lan
            local=/local.lan/
            """
        let fixture = try ZoneFixture(conf)
        let queries: [[UInt8]] = [
            TestMessages.query("www.bench.lan"),
            TestMessages.query("WwW.Bench.LAN", id: 7, flags: 0x0110),
            TestMessages.query("big.test", opt: .init(size: 1232)),      // 40 records: the buffers grow
            TestMessages.query("deep.lan", type: .any),                   // CNAME chain, compressed targets
            TestMessages.query("big.test"),                               // truncated (512 without EDNS)
            TestMessages.query("elsewhere.example"),                      // forwarded: buffers untouched
            TestMessages.query("x.local.lan", type: .aaaa, opt: .init(size: 600, dnssecOK: true)),
            TestMessages.query("router.lan", type: .aaaa),
            TestMessages.query("a.b.c.d.e.bench.lan", type: .mx),         // NODATA
        ]
        var buffers = DNSAnswerBuffers()
        for round in 0..<2 {
            for (i, packet) in queries.enumerated() {
                for transport in [DNSTransport.udp, .tcp] {
                    let label = "round \(round) query \(i) \(transport)"
                    let fresh = fixture.responder.respond(to: packet, transport: transport)
                    buffers.setQuery(packet[...])
                    guard case .success(let query) = DNSQuery.parse(buffers.query, nameStorage: &buffers.name) else {
                        return XCTFail(label)
                    }
                    let reused = fixture.responder.answer(query, transport: transport, client: nil, buffers: &buffers)
                    switch (fresh, reused) {
                    case (.answer(let a), .answer(let b)):
                        XCTAssertEqual(a, b, label)
                        buffers.recycle(b)
                    case (.forward, .forward): break
                    default: XCTFail("\(label): \(fresh) vs \(reused)")
                    }
                }
            }
        }
    }

    func testAKeptQueryKeepsItsBytesWhenTheBuffersMoveOn() throws {
        var buffers = DNSAnswerBuffers()
        buffers.setQuery(TestMessages.query("Kept.Example")[...])
        guard case .success(let kept) = DNSQuery.parse(buffers.query, nameStorage: &buffers.name) else { return XCTFail() }
        buffers.setQuery(TestMessages.query("other.name.example", id: 9)[...])
        guard case .success(let next) = DNSQuery.parse(buffers.query, nameStorage: &buffers.name) else { return XCTFail() }
        XCTAssertEqual(kept.question.name, try DNSName(text: "kept.example"))
        XCTAssertEqual(kept.packet, TestMessages.query("Kept.Example"))
        XCTAssertEqual(next.question.name, try DNSName(text: "other.name.example"))
        // What a forwarded query is given: exact copies, nothing shared with the buffers.
        let owned = next.owningItsBytes()
        XCTAssertEqual(owned.packet, next.packet)
        XCTAssertEqual(owned.question, next.question)
    }
}
