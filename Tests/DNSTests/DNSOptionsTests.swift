import Config
@testable import DNS
import XCTest

final class DNSOptionsTests: XCTestCase {
    /// /work/shared/fixtures/inethi/dnsmasq.conf, as deployed on iNethi community servers.
    static let inethiConf = """
        # Local DNS for the community network: every name under the local domain
        # resolves to the server; everything else is forwarded upstream in order.
        no-resolv
        log-queries
        server=1.0.0.1
        server=1.1.1.1
        strict-order
        address=/inethilocal.net/192.168.1.2

        """

    func testInethiFixture() throws {
        let options = DNSOptions.parse(DnsmasqConfReader.parse(text: Self.inethiConf, file: "dnsmasq.conf"))
        XCTAssertEqual(options.errors, [])
        XCTAssertEqual(options.unsupported, [])
        let s = options.settings
        XCTAssertTrue(s.noResolv)
        XCTAssertTrue(s.strictOrder)
        XCTAssertEqual(s.logQueries, .on)
        XCTAssertEqual(s.servers, [
            DNSServerLine(domains: [], target: .upstream(IPAddress("1.0.0.1")!, port: 53), location: "dnsmasq.conf:5"),
            DNSServerLine(domains: [], target: .upstream(IPAddress("1.1.1.1")!, port: 53), location: "dnsmasq.conf:6"),
        ])
        XCTAssertEqual(s.addressRules, [DNSAddressRule(domains: [try DNSName(text: "inethilocal.net")],
                                                       addresses: [IPAddress("192.168.1.2")!], location: "dnsmasq.conf:8")])
        // Defaults untouched.
        XCTAssertEqual(s.port, 53)
        XCTAssertEqual(s.cacheSize, 150)
        XCTAssertEqual(s.dnsForwardMax, 150)
        XCTAssertEqual(s.ednsPacketMax, 1232)
        XCTAssertEqual(s.localTTL, 0)
        XCTAssertNil(s.negativeTTL)
        // The fixture's zone answers the wildcard and NODATA for AAAA.
        let fixture = try ZoneFixture(Self.inethiConf)
        XCTAssertEqual(try fixture.ask("moodle.inethilocal.net")?.addresses, ["192.168.1.2"])
        let aaaa = try XCTUnwrap(fixture.ask("moodle.inethilocal.net", .aaaa))
        XCTAssertEqual(aaaa.rcode, .noError)
        XCTAssertTrue(aaaa.answers.isEmpty)
    }

    func testConfReaderSyntax() {
        let text = """
              # full-line comment
            port = 5353
            address=/sink.test/#
            addn-hosts="/etc/my hosts" # trailing comment
            log-facility=/var/log/dns#1.log
            bogus-priv\t
            server=/lan/10.0.0.1#5300
            """
        let lines = DnsmasqConfReader.parse(text: text, file: "f")
        XCTAssertEqual(lines, [
            DNSOption(name: "port", value: "5353", file: "f", line: 2),
            DNSOption(name: "address", value: "/sink.test/#", file: "f", line: 3),
            DNSOption(name: "addn-hosts", value: "/etc/my hosts", file: "f", line: 4),
            DNSOption(name: "log-facility", value: "/var/log/dns#1.log", file: "f", line: 5),
            DNSOption(name: "bogus-priv", value: nil, file: "f", line: 6),
            DNSOption(name: "server", value: "/lan/10.0.0.1#5300", file: "f", line: 7),
        ])
    }

    func testEveryOptionParses() throws {
        let text = """
            port=5353
            listen-address=127.0.0.1,::1
            interface=eth0
            interface=wlan0
            bind-interfaces
            no-hosts
            addn-hosts=/etc/hosts.d/a
            host-record=gw.lan,10.0.0.1,fd00::1,120
            cname=www.lan,gw.lan,30
            local=/lan/
            domain-needed
            bogus-priv
            local-ttl=5
            server=/corp/10.1.1.1#5353
            server=/corp.home/#
            server=2606:4700::1111
            resolv-file=/etc/resolv.dnsmasq
            all-servers
            cache-size=1000
            neg-ttl=60
            min-cache-ttl=7200
            max-cache-ttl=86400
            dns-forward-max=300
            edns-packet-max=1400
            log-queries=extra
            log-facility=LOCAL0
            """
        let options = DNSOptions.parse(DnsmasqConfReader.parse(text: text, file: "all.conf"))
        XCTAssertEqual(options.errors, [])
        XCTAssertEqual(options.unsupported, [])
        let s = options.settings
        XCTAssertEqual(s.port, 5353)
        XCTAssertEqual(s.listenAddresses, [IPAddress("127.0.0.1")!, IPAddress("::1")!])
        XCTAssertEqual(s.interfaces, ["eth0", "wlan0"])
        XCTAssertTrue(s.bindInterfaces && s.noHosts && s.domainNeeded && s.bogusPriv && s.allServers)
        XCTAssertEqual(s.additionalHostsFiles, ["/etc/hosts.d/a"])
        XCTAssertEqual(s.hostRecords.first?.ttl, 120)
        XCTAssertEqual(s.hostRecords.first?.addresses.count, 2)
        XCTAssertEqual(s.cnames.first?.ttl, 30)
        XCTAssertEqual(s.cnames.first?.target.description, "gw.lan")
        XCTAssertEqual(s.localOnlyDomains.map(\.domain.description), ["lan"])
        XCTAssertEqual(s.localTTL, 5)
        XCTAssertEqual(s.servers.map(\.target), [
            .localOnly, .upstream(IPAddress("10.1.1.1")!, port: 5353), .defaultServers,
            .upstream(IPAddress("2606:4700::1111")!, port: 53),
        ])
        XCTAssertEqual(s.servers[1].domains.map(\.description), ["corp"])
        XCTAssertEqual(s.resolvFile, "/etc/resolv.dnsmasq")
        XCTAssertEqual(s.cacheSize, 1000)
        XCTAssertEqual(s.negativeTTL, 60)
        XCTAssertEqual(s.minCacheTTL, 3600)  // clamped like dnsmasq
        XCTAssertEqual(s.maxCacheTTL, 86400)
        XCTAssertEqual(s.dnsForwardMax, 300)
        XCTAssertEqual(s.ednsPacketMax, 1400)
        XCTAssertEqual(s.logQueries, .extra)
        XCTAssertEqual(s.logFacility, "LOCAL0")
    }

    func testBadValuesCarryFileAndLine() {
        let rows: [(String, String)] = [
            ("port=99999", "port: '99999' is not a number between 0 and 65535"),
            ("port", "port: needs a value"),
            ("no-resolv=1", "no-resolv: takes no value"),
            ("cache-size=-1", "cache-size: '-1' is not a number between 0 and 4294967295"),
            ("edns-packet-max=100", "edns-packet-max: must be at least 512"),
            ("dns-forward-max=0", "dns-forward-max: must be at least 1"),
            ("address=inethi.net/1.2.3.4", "address: expected /domain/ first"),
            ("address=/inethi.net/1.2.3", "address: '1.2.3' is not an IP address"),
            ("address=/*inethi.net/1.2.3.4", "address: wildcard patterns ('*inethi.net') are not supported"),
            ("address=//1.2.3.4", "address: '//' (unqualified names) is not supported"),
            ("address=/a..b/1.2.3.4", "address: invalid domain name 'a..b': empty label"),
            ("server=1.1.1.1#abc", "server: 'abc' is not a port"),
            ("server=1.1.1.1@eth0", "server: @interface and @source are not supported"),
            ("server=dns.google", "server: 'dns.google' is not an IP address"),
            ("server=#", "server: '#' needs /domain/ in front"),
            ("host-record=10.0.0.1", "host-record: needs at least one name"),
            ("host-record=h.lan", "host-record: needs at least one address"),
            ("host-record=h.lan,10.0.0.1,x.lan", "host-record: 'x.lan' is not an IP address"),
            ("cname=a.lan", "cname: needs an alias and a target"),
            ("listen-address=10.0.0.1,,", "listen-address: empty item in list"),
            ("listen-address=eth0", "listen-address: 'eth0' is not an IP address"),
            ("log-queries=loud", "log-queries: expected no value, 'extra' or 'proto'"),
            ("=5", ": empty option name"),
        ]
        for (line, message) in rows {
            let options = DNSOptions.parse(DnsmasqConfReader.parse(text: "# first\n" + line, file: "bad.conf"))
            XCTAssertEqual(options.errors.map(\.description), ["bad.conf:2: " + message], line)
        }
    }

    func testUnsupportedOptionsAreListedWithTheirLines() {
        let text = """
            dhcp-range=192.168.1.50,192.168.1.150,12h
            enable-tftp
            address=/a.test/10.0.0.1
            dhcp-option=3,192.168.1.1
            dhcp-host=aa:bb:cc:dd:ee:ff,10.0.0.9
            tftp-root=/srv/tftp
            """
        let options = DNSOptions.parse(DnsmasqConfReader.parse(text: text, file: "x.conf"))
        XCTAssertEqual(options.errors, [])
        XCTAssertEqual(options.unsupported.map { "\($0.fileAndLine) \($0.name)" }, [
            "x.conf:1 dhcp-range", "x.conf:2 enable-tftp", "x.conf:4 dhcp-option", "x.conf:5 dhcp-host",
            "x.conf:6 tftp-root",
        ])
        XCTAssertEqual(options.settings.addressRules.count, 1)
    }

    func testTOMLStyleLines() {
        // What the TOML [dns] table loader hands over: booleans as "true"/"false".
        let lines = [
            DNSOption(name: "no-resolv", value: "true", file: "stoep.toml", line: 10),
            DNSOption(name: "strict-order", value: "false", file: "stoep.toml", line: 11),
            DNSOption(name: "server", value: "9.9.9.9", file: "stoep.toml", line: 12),
            DNSOption(name: "local-ttl", value: "x", file: "stoep.toml", line: 13),
        ]
        let options = DNSOptions.parse(lines)
        XCTAssertTrue(options.settings.noResolv)
        XCTAssertFalse(options.settings.strictOrder)
        XCTAssertEqual(options.settings.servers.count, 1)
        XCTAssertEqual(options.errors.map(\.description),
                       ["stoep.toml:13: local-ttl: 'x' is not a number between 0 and 4294967295"])
    }

    func testHostsFileProblemsAreReported() {
        let hosts = HostsFile(text: "127.0.0.1 localhost\nnot-an-ip name\n10.0.0.1\n10.0.0.2 ok bad/name\n", file: "/etc/hosts")
        XCTAssertEqual(hosts.entries.map(\.names.count), [1, 1])
        XCTAssertEqual(hosts.problems.map(\.line), [2, 3, 4])
    }
}
