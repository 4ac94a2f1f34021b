// conf-file, conf-dir and servers-file expanded as dnsmasq 2.90's option.c reads them, over files held in
// memory; domain=, expand-hosts and rev-server= as the parser and the zone take them.
import Config
import DNS
import XCTest

final class DnsmasqConfIncludesTests: XCTestCase {
    private func read(_ files: [String: String], directories: [String: [String]] = [:], links: [String: String] = [:],
                      top: String = "/etc/dnsmasq.conf") -> (lines: [String], errors: [String], warnings: [String]) {
        let fs = DnsmasqConfMemoryFiles(files: files, directories: directories, links: links)
        let r = DnsmasqConfIncludes.read(tomlLines: [], dnsmasqConf: top, files: fs)
        return (r.lines.map { "\($0.fileAndLine) \($0.description)" }, r.errors.map(\.description), r.warnings)
    }

    func testConfFileIsReadWhereItStandsWithItsOwnLines() {
        let r = read(["/etc/dnsmasq.conf": "port=53\nconf-file=/etc/extra.conf\nno-resolv\n", "/etc/extra.conf": "# x\naddress=/a/1.2.3.4\n"])
        XCTAssertEqual(r.lines, ["/etc/dnsmasq.conf:1 port=53", "/etc/extra.conf:2 address=/a/1.2.3.4", "/etc/dnsmasq.conf:3 no-resolv"])
        XCTAssertEqual(r.errors, [])
    }

    func testLoopsAndRepeatsAreReadOnceAsDnsmasqDoes() {
        // option.c one_file: a file already read (device and inode) is skipped, the top file included.
        let r = read(["/etc/dnsmasq.conf": "conf-file=/etc/a.conf\nconf-file=/etc/a.conf\nconf-file=/link\n",
                      "/etc/a.conf": "conf-file=/etc/dnsmasq.conf\naddress=/a/1.1.1.1\n"],
                     links: ["/link": "/etc/a.conf"])
        XCTAssertEqual(r.lines, ["/etc/a.conf:2 address=/a/1.1.1.1"])
        XCTAssertEqual(r.errors, [])
    }

    func testIncludesInStoepsDNSTableToo() {
        let toml = [DNSOption(name: "conf-file", value: "/x.conf", location: SourceLocation(file: "stoep.toml", line: 3, column: 1), origin: .stoepTOML),
                    DNSOption(name: "port", value: "53", location: SourceLocation(file: "stoep.toml", line: 4, column: 1), origin: .stoepTOML)]
        let fs = DnsmasqConfMemoryFiles(files: ["/x.conf": "no-resolv\n", "/etc/dnsmasq.conf": "conf-file=/x.conf\n"])
        let r = DnsmasqConfIncludes.read(tomlLines: toml, dnsmasqConf: "/etc/dnsmasq.conf", files: fs)
        XCTAssertEqual(r.lines.map { "\($0.fileAndLine) \($0.description) \($0.origin)" },
                       ["/x.conf:1 no-resolv dnsmasqConf", "stoep.toml:4 port=53 stoepTOML"])
    }

    func testMissingFileIsAnErrorAtTheDirective() {
        let r = read(["/etc/dnsmasq.conf": "port=53\nconf-file=/nope.conf\n"])
        XCTAssertEqual(r.errors, ["/etc/dnsmasq.conf:2: conf-file: cannot read /nope.conf: No such file or directory"])
        XCTAssertEqual(read([:]).errors, ["/etc/dnsmasq.conf:0: dnsmasq-conf: cannot read /etc/dnsmasq.conf: No such file or directory"])
    }

    func testBareConfFileReadsNothingAndSaysSo() {
        let r = read(["/etc/dnsmasq.conf": "conf-file\nport=5\n"])
        XCTAssertEqual(r.lines, ["/etc/dnsmasq.conf:2 port=5"])
        XCTAssertEqual(r.warnings.count, 1)
        XCTAssertEqual(read(["/etc/dnsmasq.conf": "conf-file=-\n"]).errors,
                       ["/etc/dnsmasq.conf:1: conf-file: stoep reads no configuration from standard input; name a file"])
    }

    func testConfDirOrderFiltersAndSuffixes() {
        let files = ["/etc/dnsmasq.conf": "conf-dir=/d\nconf-dir=/e,*.conf\nconf-dir=/f , .bak, .orig\n",
                     "/d/b": "port=2", "/d/a": "port=1", "/d/.hidden": "port=9", "/d/old~": "port=9", "/d/#auto#": "port=9",
                     "/e/x.conf": "port=3", "/e/y.txt": "port=9", "/e/.conf": "port=9",
                     "/f/keep": "port=4", "/f/z.bak": "port=9", "/f/w.orig": "port=9"]
        let dirs = ["/d": ["b", "a", ".hidden", "old~", "#auto#", "sub"], "/d/sub": [], "/e": ["y.txt", "x.conf", ".conf"],
                    "/f": ["z.bak", "keep", "w.orig"]]
        let r = read(files, directories: dirs)
        XCTAssertEqual(r.lines, ["/d/a:1 port=1", "/d/b:1 port=2", "/e/x.conf:1 port=3", "/f/keep:1 port=4"])
        XCTAssertEqual(r.errors, [])
    }

    func testConfDirErrors() {
        let r = read(["/etc/dnsmasq.conf": "conf-dir=/missing\nconf-dir=/d\n"], directories: ["/d": ["dangling"]])
        XCTAssertEqual(r.errors, ["/etc/dnsmasq.conf:1: conf-dir: cannot access directory /missing: No such file or directory",
                                  "/etc/dnsmasq.conf:2: conf-dir: cannot access /d/dangling: No such file or directory"])
    }

    func testServersFileComesLastWithServerLinesOnly() {
        let r = read(["/etc/dnsmasq.conf": "servers-file=/s\nserver=1.1.1.1\n",
                      "/s": "server=9.9.9.9\nrev-server=10.0.0.0/8,10.0.0.53\naddress=/x/1.2.3.4\n"])
        XCTAssertEqual(r.lines, ["/etc/dnsmasq.conf:1 servers-file=/s", "/etc/dnsmasq.conf:2 server=1.1.1.1", "/s:1 server=9.9.9.9",
                                 "/s:2 rev-server=10.0.0.0/8,10.0.0.53"])
        XCTAssertEqual(r.errors, ["/s:3: address: a servers-file holds only server= and rev-server= lines (dnsmasq: illegal option)"])
        XCTAssertEqual(read(["/etc/dnsmasq.conf": "servers-file=/none\n"]).errors,
                       ["/etc/dnsmasq.conf:1: servers-file: cannot read /none: No such file or directory"])
    }

    private func settings(_ text: String) -> DNSOptions {
        DNSOptions.parse(DnsmasqConfReader.parse(text: text, file: "x.conf"))
    }

    func testRevServerZones() throws {
        let o = settings("rev-server=10.1.2.0/23,10.0.0.53#5353\nrev-server=192.168.7.0/24\nrev-server=fd00:1::/30,::1\n")
        XCTAssertEqual(o.errors, [])
        XCTAssertEqual(o.settings.servers.prefix(2).map { $0.domains.map(\.description) },
                       [["2.1.10.in-addr.arpa", "3.1.10.in-addr.arpa"], ["7.168.192.in-addr.arpa"]])
        XCTAssertEqual(o.settings.servers[0].target, .upstream(IPAddress("10.0.0.53")!, port: 5353))
        XCTAssertEqual(o.settings.servers[1].target, .localOnly)
        XCTAssertEqual(o.settings.servers[2].domains.map(\.description),
                       ["0.0.0.0.0.0.d.f.ip6.arpa", "1.0.0.0.0.0.d.f.ip6.arpa", "2.0.0.0.0.0.d.f.ip6.arpa", "3.0.0.0.0.0.d.f.ip6.arpa"])
        XCTAssertEqual(settings("rev-server=10.0.0.0/33,1.1.1.1\n").errors.map(\.description), ["x.conf:1: rev-server: bad IPv4 prefix length"])
    }

    func testDomainForms() throws {
        let o = settings("domain=lan\ndomain=wifi.lan,10.0.1.0/24,local\ndomain=guest.lan,10.0.2.10,10.0.2.20\ndomain=v6.lan,fd00::/64\n")
        XCTAssertEqual(o.errors, [])
        let d = o.settings.hostsDomains
        XCTAssertEqual(d.domain(for: IPAddress("10.0.1.77")!)?.description, "wifi.lan")
        XCTAssertEqual(d.domain(for: IPAddress("10.0.2.15")!)?.description, "guest.lan")
        XCTAssertEqual(d.domain(for: IPAddress("10.0.2.21")!)?.description, "lan")
        XCTAssertEqual(d.domain(for: IPAddress("fd00::7")!)?.description, "v6.lan")
        XCTAssertEqual(d.domain(for: IPAddress("fd01::7")!)?.description, "lan")
        XCTAssertEqual(o.settings.servers.map { $0.domains.map(\.description) }, [["wifi.lan", "1.0.10.in-addr.arpa"]])
        // An IPv6 range is stored with prefix length 0 by dnsmasq 2.90: it matches every IPv6 address.
        XCTAssertEqual(settings("domain=r.lan,fd00::1,fd00::9\n").settings.hostsDomains.domain(for: IPAddress("2001:db8::1")!)?.description, "r.lan")
        XCTAssertEqual(settings("domain=lan,eth0\n").errors.first?.message.contains("interface form"), true)
        XCTAssertEqual(settings("domain=lan,10.0.0.0/24,nope\n").errors.count, 1)
    }

    func testExpandHostsAddsNameDotDomainAndPointsPTRAtIt() throws {
        let o = settings("expand-hosts\ndomain=lan\ndomain=wifi.lan,10.0.1.0/24\n")
        let hosts = HostsFile(text: "10.0.0.5 nas nas.other\n10.0.1.7 tv\n10.0.0.9 dotted.\n", file: "/etc/hosts")
        let zone = try LocalZone(settings: o.settings, hostsFiles: [hosts])
        for (name, found) in [("nas.lan", true), ("nas", true), ("nas.other", true), ("nas.other.lan", false),
                              ("tv.wifi.lan", true), ("tv.lan", false), ("dotted.lan", false)] {
            if case .addresses = zone.lookupExact(try DNSName(text: name)) { XCTAssertTrue(found, name) } else { XCTAssertFalse(found, name) }
        }
        guard case .pointer(let target, _, _, _) = zone.lookup(IPAddress("10.0.0.5")!.reverseName) else {
            return XCTFail("no PTR")
        }
        XCTAssertEqual(target.description, "nas.lan")
    }
}
