import XCTest
@testable import DNS

final class DNSResponderTests: XCTestCase {
    static let manyAddresses = (1...40).map { "address=/big.test/10.0.0.\($0)" }.joined(separator: "\n")
    static let hugeAddresses = (1...100).map { "address=/huge.test/10.0.1.\($0)" }.joined(separator: "\n")

    func testHeaderFlagsQuestionEchoAndCompression() throws {
        let fixture = try ZoneFixture("address=/inethi.net/192.168.1.2")
        let packet = TestMessages.query("App.INETHI.net", id: 0x4242, flags: 0x0110)  // RD + CD
        let bytes = try XCTUnwrap(fixture.responder.respond(to: packet, transport: .udp).answerBytes)
        let response = try DecodedResponse(bytes)
        XCTAssertEqual(response.header.id, 0x4242)
        XCTAssertTrue(response.header.isResponse)
        XCTAssertTrue(response.header.isAuthoritative)
        XCTAssertTrue(response.header.recursionAvailable)
        XCTAssertTrue(response.header.recursionDesired)
        XCTAssertTrue(response.header.checkingDisabled)
        XCTAssertFalse(response.header.isTruncated)
        XCTAssertEqual(response.rcode, .noError)
        // Question echoed in the client's case; the answer owner is a pointer to it.
        let nameLength = TestMessages.wireName("App.INETHI.net").count
        XCTAssertEqual(Array(bytes[12..<(12 + nameLength)]), TestMessages.wireName("App.INETHI.net"))
        XCTAssertEqual(Array(bytes[(12 + nameLength + 4)..<(12 + nameLength + 6)]), [0xC0, 0x0C])
        XCTAssertEqual(response.answers, [.init(name: "app.inethi.net", type: .a, ttl: 0, data: "192.168.1.2")])
        XCTAssertEqual(bytes.count, 12 + nameLength + 4 + 16)
        // RD clear in the query => clear in the answer.
        let noRD = try DecodedResponse(XCTUnwrap(fixture.responder.respond(
            to: TestMessages.query("a.inethi.net", flags: 0), transport: .udp).answerBytes))
        XCTAssertFalse(noRD.header.recursionDesired)
    }

    func testCNAMETargetIsCompressedAgainstTheQuestion() throws {
        let fixture = try ZoneFixture("host-record=router.lan,10.0.0.1\ncname=www.lan,router.lan")
        let bytes = try XCTUnwrap(fixture.responder.respond(to: TestMessages.query("www.lan"), transport: .udp).answerBytes)
        // Header 12 + question (9 + 4) + CNAME (2 + 10 + "router" 7 + pointer to "lan" 2) + A (2 + 10 + 4).
        XCTAssertEqual(bytes.count, 12 + 13 + 21 + 16)
        XCTAssertEqual(try DecodedResponse(bytes).answers.map(\.data), ["router.lan", "10.0.0.1"])
    }

    func testEDNSEchoAndSizeLimits() throws {
        let fixture = try ZoneFixture(Self.manyAddresses + "\n" + Self.hugeAddresses)
        // (name, OPT, transport, expect TC, expected answer count)
        let rows: [(String, TestMessages.OPT?, DNSTransport, Bool, Int)] = [
            ("big.test", nil, .udp, true, 0),                        // 512 without EDNS
            ("big.test", .init(size: 300), .udp, true, 0),           // below 512 counts as 512
            ("big.test", .init(size: 1232), .udp, false, 40),
            ("big.test", nil, .tcp, false, 40),
            ("huge.test", .init(size: 4096), .udp, true, 0),         // capped at edns-packet-max 1232
            ("huge.test", .init(size: 4096), .tcp, false, 100),
        ]
        for (name, opt, transport, truncated, count) in rows {
            let label = "\(name) \(String(describing: opt?.size)) \(transport)"
            let response = try XCTUnwrap(fixture.ask(name, opt: opt, transport: transport), label)
            XCTAssertEqual(response.header.isTruncated, truncated, label)
            XCTAssertEqual(response.answers.count, count, label)
            XCTAssertEqual(response.opt != nil, opt != nil, label)
            if transport == .udp {
                XCTAssertLessThanOrEqual(response.size, max(512, min(Int(opt?.size ?? 512), 1232)), label)
            }
        }
        let response = try XCTUnwrap(fixture.ask("big.test", opt: .init(size: 4096, dnssecOK: true)))
        XCTAssertEqual(response.opt, EDNS(udpPayloadSize: 1232, dnssecOK: true))
    }

    func testEdnsPacketMaxSetting() throws {
        let fixture = try ZoneFixture(Self.manyAddresses + "\nedns-packet-max=4096")
        let response = try XCTUnwrap(fixture.ask("big.test", opt: .init(size: 4096)))
        XCTAssertEqual(response.opt?.udpPayloadSize, 4096)
        XCTAssertEqual(response.answers.count, 40)
    }

    func testNotLocalIsForwardedAndNonINClassToo() throws {
        let fixture = try ZoneFixture("address=/inethi.net/192.168.1.2")
        let decision = fixture.responder.respond(to: TestMessages.query("example.com"), transport: .udp)
        guard case .forward(let query) = decision else { return XCTFail("expected forward") }
        XCTAssertEqual(query.question.name.description, "example.com")
        let chaos = TestMessages.query("x.inethi.net", type: .txt, recordClass: 3)
        XCTAssertTrue(fixture.responder.respond(to: chaos, transport: .udp).isForward)
    }

    func testLogLines() throws {
        let fixture = try ZoneFixture("""
            address=/inethi.net/192.168.1.2
            address=/blocked.test/
            host-record=router.lan,10.0.0.1
            cname=www.lan,router.lan
            """, hosts: [("/etc/hosts", "10.0.0.2 nas.lan")])
        let questions: [(String, DNSRecordType)] = [
            ("app.inethi.net", .a), ("app.inethi.net", .aaaa), ("app.inethi.net", .mx), ("x.blocked.test", .a),
            ("www.lan", .a), ("nas.lan", .a), ("1.0.0.10.in-addr.arpa", .ptr), ("router.lan", .a),
        ]
        for (name, type) in questions { _ = try fixture.ask(name, type) }
        XCTAssertEqual(fixture.logLines.lines, [
            "query[A] app.inethi.net from 10.0.0.5", "config app.inethi.net is 192.168.1.2",
            "query[AAAA] app.inethi.net from 10.0.0.5", "config app.inethi.net is NODATA-IPv6",
            "query[MX] app.inethi.net from 10.0.0.5", "config app.inethi.net is NODATA",
            "query[A] x.blocked.test from 10.0.0.5", "config x.blocked.test is NXDOMAIN",
            "query[A] www.lan from 10.0.0.5", "config www.lan is <CNAME>", "config router.lan is 10.0.0.1",
            "query[A] nas.lan from 10.0.0.5", "/etc/hosts nas.lan is 10.0.0.2",
            "query[PTR] 1.0.0.10.in-addr.arpa from 10.0.0.5", "config 10.0.0.1 is router.lan",
            "query[A] router.lan from 10.0.0.5", "config router.lan is 10.0.0.1",
        ])
    }

    func testLogFormatterEdgeCases() throws {
        XCTAssertEqual(DNSQueryLog.query(DNSRecordType(rawValue: 999), .root, from: IPAddress("::1")!),
                       "query[type=999] . from ::1")
        XCTAssertEqual(DNSQueryLog.query(.https, try DNSName(text: "a.b"), from: IPAddress("10.0.0.1")!),
                       "query[HTTPS] a.b from 10.0.0.1")
        let unprintable = try DNSName.parse([UInt8](repeating: 0, count: 12) + [1, 0x07, 0], at: 12).name
        XCTAssertEqual(DNSQueryLog.nxdomain(.config, unprintable), "config <name unprintable> is NXDOMAIN")
        XCTAssertEqual(DNSQueryLog.configError(.refused), "config error is REFUSED")
        XCTAssertEqual(DNSQueryLog.forwarded(try DNSName(text: "example.com"), to: IPAddress("1.1.1.1")!),
                       "forwarded example.com to 1.1.1.1")
    }

    func testNoLoggingWhenLogQueriesOff() throws {
        final class Counter: @unchecked Sendable { var n = 0 }
        let counter = Counter()
        let responder = DNSResponder(zone: .empty, settings: DNSSettings()) { _ in counter.n += 1 }
        _ = responder.respond(to: TestMessages.query("x.test"), transport: .udp, client: IPAddress("10.0.0.1"))
        XCTAssertEqual(counter.n, 0)
    }
}
