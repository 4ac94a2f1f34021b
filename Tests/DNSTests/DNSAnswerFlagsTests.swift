// The rcode and AA bit of every kind of local answer, as dnsmasq 2.90 sets them for the same data
// (tests/integration/test_dns_header_compare.py checks the same against the real dnsmasq), meta-type
// questions, ANY under address=, and the AD bit of forwarded answers.
import XCTest
@testable import DNS

final class DNSAnswerFlagsTests: XCTestCase {
    static let conf = """
        domain-needed
        bogus-priv
        address=/wild.lan/10.0.0.1
        address=/dual.lan/10.0.0.5
        address=/dual.lan/fd00::5
        address=/v6only.lan/fd00::6
        address=/sink.lan/#
        address=/nx.lan/
        address=/both.lan/10.0.0.6
        local=/both.lan/
        host-record=host.lan,10.0.0.10
        cname=web.lan,host.lan
        local=/home.test/
        host-record=nas.home.test,10.0.1.2
        address=/printer.home.test/10.0.1.3
        server=/fwd.home.test/192.0.2.53
        host-record=tv.fwd.home.test,10.0.1.4
        """
    static let hosts = [(file: "/etc/hosts", text: "10.0.0.20 hostalias\n10.0.1.9 deep.sub.home.test\n")]

    /// (name, type, rcode, AA, answer data joined by ","); rcode "fwd" = forwarded.
    typealias Row = (name: String, type: DNSRecordType, rcode: String, aa: Bool, data: String)

    func check(_ rows: [Row], file: StaticString = #filePath, line: UInt = #line) throws {
        let fixture = try ZoneFixture(Self.conf, hosts: Self.hosts, published: ["app.pub.test": ["10.0.2.1"]])
        for row in rows {
            let label = "\(row.name) \(row.type)"
            guard let response = try fixture.ask(row.name, row.type, opt: .init()) else {
                XCTAssertEqual(row.rcode, "fwd", label, file: file, line: line)
                continue
            }
            XCTAssertEqual(response.rcode.description, row.rcode, label, file: file, line: line)
            XCTAssertEqual(response.header.isAuthoritative, row.aa, "AA: " + label, file: file, line: line)
            XCTAssertEqual(response.answers.map(\.data).joined(separator: ","), row.data, label, file: file, line: line)
            XCTAssertTrue(response.header.recursionAvailable, label, file: file, line: line)
            XCTAssertNotNil(response.opt, "OPT echoed: " + label, file: file, line: line)
        }
    }

    func testNegativeAnswersCarryAAWhereDnsmasqSetsIt() throws {
        try check([
            ("wild.lan", .a, "NOERROR", true, "10.0.0.1"),
            ("nx.lan", .a, "NXDOMAIN", false, ""),                  // address=/d/: setup_reply, no AA
            ("x.nx.lan", .mx, "NXDOMAIN", false, ""),
            ("x.home.test", .a, "NXDOMAIN", false, ""),             // local=/d/
            ("home.test", .mx, "NOERROR", false, ""),               // apex with records below: exists
            ("home.test", .a, "NOERROR", false, ""),
            ("sub.home.test", .aaaa, "NOERROR", false, ""),         // empty non-terminal of a hosts name
            ("nas.home.test", .mx, "NOERROR", false, ""),           // other type under local=
            ("nas.home.test", .a, "NOERROR", true, "10.0.1.2"),
            ("printer.home.test", .aaaa, "NOERROR", false, ""),     // dnsmasq: NXDOMAIN (deliberate)
            ("both.lan", .aaaa, "NOERROR", false, ""),              // address= and local= for one domain
            ("both.lan", .a, "NOERROR", true, "10.0.0.6"),
            ("tv.fwd.home.test", .mx, "NOERROR", true, ""),         // server= nearer than local=: dnsmasq forwards
            ("fwd.home.test", .a, "fwd", false, ""),
            ("wild.lan", .aaaa, "NOERROR", true, ""),               // dnsmasq forwards (deliberate)
            ("host.lan", .mx, "NOERROR", true, ""),
            ("app.pub.test", .aaaa, "NOERROR", true, ""),
            ("pub.test", .a, "fwd", false, ""),                     // empty non-terminal outside local=
            ("web.lan", .aaaa, "NOERROR", true, "host.lan"),        // the CNAME is the answer
            ("plain", .a, "NXDOMAIN", false, ""),                   // domain-needed
            ("lan", .aaaa, "NOERROR", false, ""),                   // domain-needed, names below it
            ("hostalias", .aaaa, "NOERROR", false, ""),             // domain-needed, the name has an A
            ("hostalias", .mx, "NOERROR", true, ""),                // not held back by domain-needed
            ("plain", .mx, "fwd", false, ""),
            ("5.1.168.192.in-addr.arpa", .ptr, "NXDOMAIN", true, ""),   // bogus-priv: answer_request
            ("5.1.168.192.in-addr.arpa", .any, "NXDOMAIN", true, ""),
            ("5.1.168.192.in-addr.arpa", .txt, "NXDOMAIN", false, ""),  // dnsmasq forwards (deliberate)
            ("10.0.0.10.in-addr.arpa", .ptr, "NOERROR", true, "host.lan"),
            ("10.0.0.10.in-addr.arpa", .a, "NOERROR", true, ""),
            ("2.1.0.10.in-addr.arpa", .a, "NOERROR", true, ""),
        ])
    }

    func testAnyUnderAddressAnswersOneFamilyAsDnsmasq() throws {
        try check([
            ("dual.lan", .any, "NOERROR", true, "fd00::5"),
            ("x.wild.lan", .any, "NOERROR", true, "10.0.0.1"),
            ("v6only.lan", .any, "NOERROR", true, "fd00::6"),
            ("sink.lan", .any, "NOERROR", true, "0.0.0.0,::"),
            ("host.lan", .any, "NOERROR", true, "10.0.0.10"),        // exact names: every family
            ("web.lan", .any, "NOERROR", true, "host.lan,10.0.0.10"),
            ("nx.lan", .any, "NXDOMAIN", false, ""),
            ("home.test", .any, "NOERROR", false, ""),
        ])
    }

    func testMetaQuestions() throws {
        var rows: [Row] = []
        let meta: [(DNSRecordType, String)] = [
            (.axfr, "REFUSED"), (.ixfr, "REFUSED"), (.opt, "FORMERR"), (.tkey, "FORMERR"), (.tsig, "FORMERR"),
            (.maila, "FORMERR"), (DNSRecordType(rawValue: 128), "FORMERR"), (DNSRecordType(rawValue: 248), "FORMERR"),
        ]
        for (type, rcode) in meta {
            for name in ["wild.lan", "host.lan", "web.lan", "10.0.0.10.in-addr.arpa", "home.test", "app.pub.test"] {
                rows.append((name, type, rcode, false, ""))
            }
            rows.append(("nx.lan", type, "NXDOMAIN", false, ""))     // no such name: as dnsmasq
            rows.append(("x.home.test", type, "NXDOMAIN", false, ""))
            rows.append(("example.com", type, "fwd", false, ""))     // not local: the upstream decides
        }
        // MAILB: dnsmasq answers NXDOMAIN with AA for every name, never forwards it.
        for name in ["wild.lan", "host.lan", "nx.lan", "home.test", "example.com"] {
            rows.append((name, .mailb, "NXDOMAIN", true, ""))
        }
        rows.append(("web.lan", .mailb, "NXDOMAIN", true, "host.lan"))
        // Neighbours of the meta range are data types.
        rows.append(("wild.lan", DNSRecordType(rawValue: 127), "NOERROR", true, ""))
        rows.append(("wild.lan", DNSRecordType(rawValue: 256), "NOERROR", true, ""))
        try check(rows)
    }

    func testMetaErrorEchoesQuestionAndOPTOnly() throws {
        let fixture = try ZoneFixture(Self.conf)
        for (opt, transport) in [(nil, DNSTransport.udp), (TestMessages.OPT(size: 4096, dnssecOK: true), .tcp)] {
            let packet = TestMessages.query("WiLd.lan", type: .axfr, id: 7, flags: 0x0110, opt: opt)
            let bytes = try XCTUnwrap(fixture.responder.respond(to: packet, transport: transport).answerBytes)
            let response = try DecodedResponse(bytes)
            XCTAssertEqual(response.header.id, 7)
            XCTAssertEqual(response.header.flags, 0x8195, "QR RD RA CD, REFUSED, no AA")
            XCTAssertEqual(Array(bytes[12..<(12 + 10 + 4)]), Array(packet[12..<(12 + 10 + 4)]), "question as sent")
            XCTAssertEqual(response.header.answerCount, 0)
            XCTAssertEqual(response.opt, opt.map { EDNS(udpPayloadSize: 1232, dnssecOK: $0.dnssecOK) })
        }
    }

    func testForwardedAnswersDropAAAndAD() throws {
        let query = try UpstreamResponses.query(TestMessages.query("www.example.com", flags: 0x0120))  // RD + AD
        // (upstream flags, expected flags): QR RD RA kept, AA and AD never passed on.
        let rows: [(UInt16, UInt16)] = [(0x8180, 0x8180), (0x85A0, 0x8180), (0x81A0, 0x8180), (0x8590, 0x8180)]
        for (upstreamFlags, expected) in rows {
            let upstream = UpstreamResponses.response("www.example.com", flags: upstreamFlags, answers: [.a("www.example.com")])
            let out = try XCTUnwrap(DNSUpstreamAnswer.shape(upstream, for: query, limit: 512, advertisedUDPSize: 1232))
            XCTAssertEqual(try DecodedResponse(out).header.flags, expected, String(upstreamFlags, radix: 16))
        }
    }
}
