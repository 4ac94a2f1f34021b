import XCTest
@testable import DNS

/// Builds a responder from dnsmasq.conf text, hosts files and published names, and asks it questions.
struct ZoneFixture {
    var responder: DNSResponder
    var logLines: LogSink

    final class LogSink: @unchecked Sendable { var lines: [String] = [] }

    init(_ conf: String, hosts: [(file: String, text: String)] = [], published: [String: [String]] = [:],
         file: StaticString = #filePath, line: UInt = #line) throws {
        let options = DNSOptions.parse(DnsmasqConfReader.parse(text: conf, file: "test.conf"))
        XCTAssertEqual(options.errors, [], file: file, line: line)
        var names: [DNSName: [IPAddress]] = [:]
        for (name, addresses) in published { names[try DNSName(text: name)] = addresses.compactMap(IPAddress.init) }
        let zone = try LocalZone(settings: options.settings,
                                 hostsFiles: hosts.map { HostsFile(text: $0.text, file: $0.file) },
                                 publishedNames: names)
        let sink = LogSink()
        var settings = options.settings
        settings.logQueries = .on
        responder = DNSResponder(zone: zone, settings: settings) { sink.lines.append($0) }
        logLines = sink
    }

    func ask(_ name: String, _ type: DNSRecordType = .a, opt: TestMessages.OPT? = nil,
             transport: DNSTransport = .udp) throws -> DecodedResponse? {
        let packet = TestMessages.query(name, type: type, opt: opt)
        guard let bytes = responder.respond(to: packet, transport: transport, client: IPAddress("10.0.0.5")).answerBytes
        else { return nil }
        return try DecodedResponse(bytes)
    }
}

final class LocalZoneTests: XCTestCase {
    /// (question, type, expected): "fwd" = forwarded, "NXDOMAIN" or "NODATA" without the AA bit,
    /// "NXDOMAIN+aa" or "NODATA+aa" with it, or the answer data joined by "," (always with AA).
    typealias Row = (name: String, type: DNSRecordType, expected: String)

    func check(_ fixture: ZoneFixture, _ rows: [Row], file: StaticString = #filePath, line: UInt = #line) throws {
        for row in rows {
            let label = "\(row.name) \(row.type)"
            guard let response = try fixture.ask(row.name, row.type) else {
                XCTAssertEqual("fwd", row.expected, label, file: file, line: line)
                continue
            }
            var got: String
            if response.rcode == .nameError {
                got = "NXDOMAIN"
            } else if response.answers.isEmpty {
                got = "NODATA"
            } else {
                got = response.answers.map(\.data).joined(separator: ",")
                XCTAssertTrue(response.header.isAuthoritative, label, file: file, line: line)
            }
            if response.answers.isEmpty && response.header.isAuthoritative { got += "+aa" }
            XCTAssertEqual(got, row.expected, label, file: file, line: line)
        }
    }

    func testAddressWildcardSemantics() throws {
        let fixture = try ZoneFixture("""
            address=/inethi.net/192.168.1.2
            address=/deep.inethi.net/10.9.9.9
            address=/inethi.net/192.168.1.3
            address=/v6.test/fd00::1
            address=/a.test/b.test/10.1.1.1
            address=/blocked.test/
            address=/sink.test/#
            address=/.dotted.test/10.2.2.2
            """)
        try check(fixture, [
            ("inethi.net", .a, "192.168.1.2,192.168.1.3"),
            ("x.y.inethi.net", .a, "192.168.1.2,192.168.1.3"),
            ("XINETHI.net", .a, "fwd"),
            ("inethi.net.evil", .a, "fwd"),
            ("deep.inethi.net", .a, "10.9.9.9"),
            ("a.deep.inethi.net", .a, "10.9.9.9"),
            ("inethi.net", .aaaa, "NODATA+aa"),  // dnsmasq forwards these (docs/dns.md)
            ("app.inethi.net", .mx, "NODATA+aa"),
            ("app.inethi.net", .txt, "NODATA+aa"),
            ("v6.test", .aaaa, "fd00::1"),
            ("v6.test", .a, "NODATA+aa"),
            ("x.a.test", .a, "10.1.1.1"),
            ("b.test", .a, "10.1.1.1"),
            ("blocked.test", .a, "NXDOMAIN"),
            ("x.blocked.test", .aaaa, "NXDOMAIN"),
            ("ads.sink.test", .a, "0.0.0.0"),
            ("ads.sink.test", .aaaa, "::"),
            ("dotted.test", .a, "10.2.2.2"),
            ("example.com", .a, "fwd"),
        ])
    }

    func testMatchAllDomain() throws {
        try check(ZoneFixture("address=/#/10.0.0.1\naddress=/keep.test/10.0.0.2"), [
            ("anything.example", .a, "10.0.0.1"), ("x.keep.test", .a, "10.0.0.2"),
        ])
    }

    func testHostRecordCnameHostsAndPTR() throws {
        let fixture = try ZoneFixture("""
            host-record=router.lan,gw.lan,10.0.0.1,fd00::1
            host-record=ttl.lan,10.0.0.7,300
            cname=www.lan,web.lan,router.lan
            cname=chain.lan,www.lan
            local=/lan/
            """, hosts: [("/etc/hosts", "10.0.0.2 NAS.lan nas # storage\n::1 localhost\nbad-line\n")])
        try check(fixture, [
            ("router.lan", .a, "10.0.0.1"),
            ("gw.lan", .aaaa, "fd00::1"),
            ("x.router.lan", .a, "NXDOMAIN"),     // exact only; local=/lan/ covers the rest
            ("router.lan", .mx, "NODATA"),        // under local=: no AA, as dnsmasq
            ("lan", .a, "NODATA"),                // records below it: it exists (RFC 8020)
            ("www.lan", .a, "router.lan,10.0.0.1"),
            ("web.lan", .aaaa, "router.lan,fd00::1"),
            ("www.lan", .cname, "router.lan"),
            ("chain.lan", .a, "www.lan,router.lan,10.0.0.1"),
            ("nas.lan", .a, "10.0.0.2"),
            ("nas.lan", .aaaa, "NODATA"),
            ("other.lan", .a, "NXDOMAIN"),
            ("1.0.0.10.in-addr.arpa", .ptr, "router.lan"),
            ("2.0.0.10.in-addr.arpa", .ptr, "nas.lan"),
            ("1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.f.ip6.arpa", .ptr, "router.lan"),
            ("9.0.0.10.in-addr.arpa", .ptr, "fwd"),
            ("localhost", .aaaa, "::1"),
        ])
        XCTAssertEqual(try fixture.ask("ttl.lan")?.answers.first?.ttl, 300)
        XCTAssertEqual(try fixture.ask("router.lan")?.answers.first?.ttl, 0)
    }

    func testPrecedenceExactThenPublishedThenWildcard() throws {
        let fixture = try ZoneFixture("""
            address=/inethi.local/10.0.0.1
            host-record=db.inethi.local,10.0.0.9
            local-ttl=60
            """, published: ["app.inethi.local": ["10.0.0.50", "fd00::50"], "db.inethi.local": ["10.0.0.51"]])
        try check(fixture, [
            ("db.inethi.local", .a, "10.0.0.9"),
            ("app.inethi.local", .a, "10.0.0.50"),
            ("app.inethi.local", .aaaa, "fd00::50"),
            ("x.app.inethi.local", .a, "10.0.0.1"),
            ("other.inethi.local", .a, "10.0.0.1"),
        ])
        XCTAssertEqual(try fixture.ask("app.inethi.local")?.answers.first?.ttl, 60)
        let swapped = fixture.responder.zone.replacingPublishedNames([:])
        XCTAssertEqual(swapped.lookup(try DNSName(text: "app.inethi.local")),
                       .domainAddresses(LocalAddressSet(v4: [IPv4Address(10, 0, 0, 1)], ttl: 60, source: .config)))
    }

    func testDomainNeededAndBogusPriv() throws {
        let fixture = try ZoneFixture("domain-needed\nbogus-priv\nhost-record=printer,10.0.0.3")
        try check(fixture, [
            ("plainname", .a, "NXDOMAIN"),
            ("plainname", .mx, "fwd"),
            ("printer", .a, "10.0.0.3"),
            ("printer", .aaaa, "NODATA"),          // domain-needed answers it, without AA
            ("printer", .mx, "NODATA+aa"),
            ("example.com", .a, "fwd"),
            ("3.0.0.10.in-addr.arpa", .ptr, "printer"),
            ("9.9.168.192.in-addr.arpa", .ptr, "NXDOMAIN+aa"),
            ("1.1.20.172.in-addr.arpa", .ptr, "NXDOMAIN+aa"),
            ("9.9.168.192.in-addr.arpa", .txt, "NXDOMAIN"),
            ("8.8.8.8.in-addr.arpa", .ptr, "fwd"),
        ])
    }

    func testDomainServersCarveOutOfBroaderRules() throws {
        let fixture = try ZoneFixture("""
            address=/lan/10.0.0.1
            server=/corp.lan/10.1.1.1
            server=/lan/10.9.9.9
            server=/168.192.in-addr.arpa/192.168.1.1
            local=/quiet.corp.lan/
            bogus-priv
            """)
        try check(fixture, [
            ("x.lan", .a, "10.0.0.1"),                  // address= wins over server= for the same domain
            ("x.corp.lan", .a, "fwd"),                  // more specific server= line
            ("a.quiet.corp.lan", .a, "NXDOMAIN"),
            ("5.1.168.192.in-addr.arpa", .ptr, "fwd"),  // a server for the reverse zone beats bogus-priv
            ("5.0.0.10.in-addr.arpa", .ptr, "NXDOMAIN+aa"),
        ])
    }

    func testMutatedQueriesAgainstAPopulatedZoneNeverCrash() throws {
        let fixture = try ZoneFixture("address=/a.test/10.0.0.1\nhost-record=h.test,10.0.0.2,fd00::2\ncname=c.test,h.test")
        var seed: UInt64 = 42
        let seeds = ["a.test", "h.test", "c.test", "2.0.0.10.in-addr.arpa"].map { TestMessages.query($0, type: .any, opt: .init()) }
        for _ in 0..<5_000 {
            seed = seed &* 6364136223846793005 &+ 1442695040888963407
            var packet = seeds[Int(seed >> 60) % seeds.count]
            let index = Int((seed >> 20) % UInt64(packet.count))
            packet[index] = UInt8(truncatingIfNeeded: seed >> 8)
            if case .answer(let reply) = fixture.responder.respond(to: packet, transport: .udp) {
                XCTAssertLessThanOrEqual(reply.count, 1232)
            }
        }
    }

    func testZoneErrors() {
        let cases: [(String, String)] = [
            ("cname=a.lan,nowhere.lan", "test.conf:1: CNAME target 'nowhere.lan' is not a local name (host-record or hosts file)"),
            ("cname=a.lan,b.lan\ncname=b.lan,a.lan", "test.conf:1: CNAME chain from 'b.lan' loops or is too long"),
            ("host-record=h.lan,10.0.0.1\ncname=h.lan,h2.lan", "test.conf:2: 'h.lan' already has local records"),
        ]
        for (conf, message) in cases {
            let options = DNSOptions.parse(DnsmasqConfReader.parse(text: conf, file: "test.conf"))
            XCTAssertThrowsError(try LocalZone(settings: options.settings), conf) { error in
                XCTAssertEqual((error as? LocalZoneError)?.description, message)
            }
        }
    }
}
