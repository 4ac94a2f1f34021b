// `server-tls` values and how they combine with the other forwarding lines; the pipeline that matches
// answers to queries by ID on one DNS-over-TLS connection; the 2-byte framing it reads.
import Config
@testable import DNS
import XCTest

final class DNSTLSUpstreamTests: XCTestCase {
    private func toml(_ name: String, _ value: String?, line: Int = 1) -> DNSOption {
        DNSOption(name: name, value: value, location: SourceLocation(file: "stoep.toml", line: line, column: 1), origin: .stoepTOML)
    }

    func testServerTLSValues() {
        let cases: [(String, String?)] = [
            ("9.9.9.9@853#dns.quad9.net", "9.9.9.9@853#dns.quad9.net"),
            ("9.9.9.9#dns.quad9.net", "9.9.9.9@853#dns.quad9.net"),   // port 853 by default
            ("1.1.1.1", "1.1.1.1@853"),                                // no name: the IP is verified
            ("127.0.0.1@8853", "127.0.0.1@8853"),
            ("2620:fe::fe@853#dns.quad9.net", "2620:fe::fe@853#dns.quad9.net"),
            ("9.9.9.9#dns.quad9.net.", "9.9.9.9@853#dns.quad9.net"),   // trailing dot dropped
            ("9.9.9.9@0", nil), ("9.9.9.9@65536", nil), ("9.9.9.9@", nil), ("9.9.9.9@x#a.b", nil),
            ("dns.quad9.net", nil), ("dns.quad9.net@853", nil), ("@853#a.b", nil), ("", nil),
            ("9.9.9.9#", nil), ("9.9.9.9#bad_name", nil), ("9.9.9.9#-a.b", nil), ("9.9.9.9#a..b", nil),
            ("9.9.9.9#*.example", nil),
        ]
        for (text, expected) in cases {
            switch DNSTLSServer.parse(text) {
            case .success(let s): XCTAssertEqual(s.description, expected, text)
            case .failure(let e): XCTAssertNil(expected, "\(text): \(e)")
            }
        }
        guard case .success(let s) = DNSTLSServer.parse("10.0.0.1") else { return XCTFail() }
        XCTAssertNil(s.name)
        XCTAssertEqual(s.port, 853)
    }

    func testServerTLSKeysInTOML() {
        let options = DNSOptions.parse([
            toml("server-tls", "9.9.9.9@853#dns.quad9.net", line: 2),
            toml("server-tls", "149.112.112.112#dns.quad9.net", line: 3),
            toml("server-tls-ca", "/etc/stoep/resolver-ca.pem", line: 4),
            toml("server", "/corp.lan/10.0.0.53", line: 5),
            toml("server", "/home.lan/#", line: 6),
            toml("no-resolv", nil, line: 7),
        ])
        XCTAssertEqual(options.errors, [])
        XCTAssertEqual(options.settings.serverTLS.map(\.description), ["9.9.9.9@853#dns.quad9.net", "149.112.112.112@853#dns.quad9.net"])
        XCTAssertEqual(options.settings.serverTLS.first?.location, "stoep.toml:2")
        XCTAssertEqual(options.settings.serverTLSCA, ["/etc/stoep/resolver-ca.pem"])
    }

    func testBadServerTLSValueIsLocated() {
        let options = DNSOptions.parse([toml("server-tls", "9.9.9.9@99999", line: 7)])
        XCTAssertEqual(options.errors.count, 1)
        XCTAssertEqual(options.errors.first?.line, 7)
        XCTAssertEqual(options.errors.first?.option, "server-tls")
        XCTAssertTrue(options.errors.first?.message.contains("not a port") ?? false)
    }

    func testServerTLSRefusedInDnsmasqConf() {
        let options = DNSOptions.parse(DnsmasqConfReader.parse(text: "server-tls=9.9.9.9\nserver-tls-ca=/x.pem\n", file: "dnsmasq.conf"))
        XCTAssertEqual(options.errors.map(\.line), [1, 2])
        XCTAssertTrue(options.errors.allSatisfy { $0.message.contains("stoep's own key") })
    }

    /// No plaintext path for the names server-tls covers: a plain unqualified server= or a resolv-file
    /// beside it is refused at its line; domain lines and no-resolv are fine.
    func testPlainDefaultsRefusedBesideServerTLS() {
        let lines = DnsmasqConfReader.parse(text: "server=1.1.1.1\nserver=/corp.lan/10.0.0.53\nresolv-file=/etc/resolv.conf\nno-resolv\n", file: "dnsmasq.conf")
        let options = DNSOptions.parse(lines + [toml("server-tls", "9.9.9.9")])
        XCTAssertEqual(options.errors.map { "\($0.file):\($0.line):\($0.option)" }, ["dnsmasq.conf:1:server", "dnsmasq.conf:3:resolv-file"])
        XCTAssertTrue(options.errors.allSatisfy { $0.message.contains("not used beside server-tls") })
        // Without server-tls the same lines are fine.
        XCTAssertEqual(DNSOptions.parse(lines).errors, [])
    }

    func testDefaultsAreTheTLSUpstreamsAlone() throws {
        var settings = DNSSettings()
        settings.serverTLS = [DNSTLSServer(address: IPAddress("9.9.9.9")!, name: "dns.quad9.net"),
                              DNSTLSServer(address: IPAddress("9.9.9.9")!, name: "dns.quad9.net"),  // once
                              DNSTLSServer(address: IPAddress("1.1.1.1")!, port: 8853)]
        settings.servers = [DNSServerLine(domains: [], target: .upstream(IPAddress("8.8.8.8")!, port: 53), location: "x:1"),
                            DNSServerLine(domains: [try DNSName(text: "corp.lan")], target: .upstream(IPAddress("10.0.0.53")!, port: 53), location: "x:2")]
        let upstreams = DNSUpstreams(settings: settings, resolvServers: [IPAddress("192.0.2.1")!])
        XCTAssertEqual(upstreams.defaults.map(\.text), ["9.9.9.9@853#dns.quad9.net", "1.1.1.1@8853"])
        XCTAssertTrue(upstreams.defaults.allSatisfy { $0.tls != nil })
        XCTAssertEqual(upstreams.servers(for: try DNSName(text: "www.example")).map(\.text), ["9.9.9.9@853#dns.quad9.net", "1.1.1.1@8853"])
        XCTAssertEqual(upstreams.servers(for: try DNSName(text: "db.corp.lan")).map(\.text), ["10.0.0.53"])
    }

    // MARK: the pipeline

    private final class Q { let name: String; init(_ n: String) { name = n } }

    private func answer(_ id: UInt16) -> ArraySlice<UInt8> { [UInt8(id >> 8), UInt8(id & 0xFF), 0x81, 0x80][...] }

    func testAnswersMatchedByIDInAnyOrder() {
        var p = DNSPipeline<Q>(limit: 10)
        let a = Q("a"), b = Q("b"), c = Q("c")
        XCTAssertEqual(p.admit(a, preferredID: 100), 100)
        XCTAssertEqual(p.admit(b, preferredID: 100), 101)  // taken: the next free one
        XCTAssertEqual(p.admit(c, preferredID: 7), 7)
        XCTAssertTrue(p.answered(by: answer(101)) === b)
        XCTAssertTrue(p.answered(by: answer(7)) === c)
        XCTAssertNil(p.answered(by: answer(7)))    // answered once only
        XCTAssertNil(p.answered(by: answer(555)))  // never asked
        XCTAssertNil(p.answered(by: [0x01][...]))  // shorter than an ID
        XCTAssertTrue(p.answered(by: answer(100)) === a)
        XCTAssertTrue(p.isEmpty)
    }

    func testLimitQueuesInOrderAndPromotes() {
        var p = DNSPipeline<Q>(limit: 2)
        let qs = (0..<5).map { Q("q\($0)") }
        XCTAssertEqual(p.admit(qs[0], preferredID: 1), 1)
        XCTAssertEqual(p.admit(qs[1], preferredID: 2), 2)
        XCTAssertNil(p.admit(qs[2], preferredID: 3))
        XCTAssertNil(p.admit(qs[3], preferredID: 1))
        XCTAssertEqual(p.count, 4)
        XCTAssertTrue(p.promote(preferredID: { _ in 9 }).isEmpty)  // no free slot
        _ = p.answered(by: answer(2))
        let sent = p.promote(preferredID: { $0 === qs[2] ? 3 : 1 })
        XCTAssertEqual(sent.map { $0.0.name }, ["q2"])
        XCTAssertEqual(sent.map(\.1), [3])
        _ = p.answered(by: answer(1))
        let next = p.promote(preferredID: { _ in 3 })
        XCTAssertEqual(next.map { $0.0.name }, ["q3"])
        XCTAssertEqual(next.map(\.1), [4])  // 3 is in flight
        // A later arrival waits behind the queue, never jumps it.
        XCTAssertNil(p.admit(qs[4], preferredID: 50))
    }

    func testAbandonedIDsAreNotReusedUntilTheirLateAnswer() {
        var p = DNSPipeline<Q>(limit: 4)
        let a = Q("a"), b = Q("b"), w = Q("w")
        XCTAssertEqual(p.admit(a, preferredID: 10), 10)
        XCTAssertTrue(p.remove { $0 === a })     // timed out while in flight
        XCTAssertEqual(p.abandonedCount, 1)
        XCTAssertEqual(p.admit(b, preferredID: 10), 11)  // 10 stays unused
        XCTAssertNil(p.answered(by: answer(10)))  // the late answer is dropped, and frees 10
        XCTAssertEqual(p.abandonedCount, 0)
        _ = p.admit(Q("x"), preferredID: 1); _ = p.admit(Q("y"), preferredID: 2); _ = p.admit(Q("z"), preferredID: 3)
        XCTAssertNil(p.admit(w, preferredID: 4))
        XCTAssertFalse(p.remove { $0 === w })    // waiting: no ID to keep
        XCTAssertEqual(p.drain().map(\.name), ["x", "y", "z", "b"])  // in flight by ID
        XCTAssertTrue(p.isEmpty)
    }

    func testFramingSplitsPipelinedAnswers() {
        var stream: [UInt8] = []
        DNSTCPFraming.append([1, 2, 3], to: &stream)
        DNSTCPFraming.append([4, 5], to: &stream)
        DNSTCPFraming.append([6, 7, 8, 9], to: &stream)
        let partial = Array(stream.dropLast(2))
        var offset = 0
        var messages: [[UInt8]] = []
        while let r = DNSTCPFraming.message(in: partial, at: offset) {
            messages.append(Array(partial[r]))
            offset = r.upperBound
        }
        XCTAssertEqual(messages, [[1, 2, 3], [4, 5]])  // the third has not all arrived
        XCTAssertEqual(offset, 9)
        XCTAssertEqual(DNSTCPFraming.message(in: stream, at: offset).map { Array(stream[$0]) }, [6, 7, 8, 9])
    }
}
