// A single-valued option (ARG_ONE in dnsmasq 2.90's usage[] table) given twice: refused in the files with
// "illegal repeated keyword", in [dns] with "illegal repeated flag"; a file overrides [dns] once; ARG_DUP
// options and flags may repeat. Beside the real dnsmasq: tests/integration/test_dnsmasq_repeated.py.
import Config
import DNS
import XCTest

final class DnsmasqRepeatedOptionsTests: XCTestCase {
    private func toml(_ name: String, _ value: String?, line: Int) -> DNSOption {
        DNSOption(name: name, value: value, location: SourceLocation(file: "stoep.toml", line: line, column: 1), origin: .stoepTOML)
    }

    private func parse(_ text: String, file: String = "dnsmasq.conf") -> DNSOptions {
        DNSOptions.parse(DnsmasqConfReader.parse(text: text, file: file))
    }

    func testEverySingleValuedOptionStoepTakesIsRefusedTheSecondTime() {
        let cases = ["port=53", "cache-size=100", "local-ttl=5", "neg-ttl=5", "min-cache-ttl=5", "max-cache-ttl=50",
                     "dns-forward-max=10", "edns-packet-max=1232", "log-facility=-", "fast-dns-retry=500", "local-service",
                     "local-service=host", "servers-file=/s", "max-ttl=5", "pid-file=/run/x.pid", "dhcp-leasefile=/l"]
        for text in cases {
            let name = String(text.split(separator: "=")[0])
            let options = parse("no-resolv\n\(text)\ndomain-needed\n\(text)\n")
            XCTAssertEqual(options.errors.map(\.description),
                           ["dnsmasq.conf:4: \(name): illegal repeated keyword: first given at dnsmasq.conf:2; dnsmasq 2.90 takes it once in its configuration files and refuses to start"],
                           text)
        }
    }

    func testTheRepeatIsRefusedBeforeItsValueIsLookedAt() {
        // one_opt checks the repeat before it parses the value: a bad second value is still "repeated".
        let options = parse("port=53\nport=notanumber\n")
        XCTAssertEqual(options.errors.map(\.message).map { String($0.prefix(24)) }, ["illegal repeated keyword"])
        XCTAssertEqual(options.settings.port, 53, "the refused line is not applied")
    }

    func testOptionsThatMayRepeatAndFlags() {
        let text = """
            server=1.1.1.1
            server=1.1.1.1
            address=/a/10.0.0.1
            address=/a/10.0.0.2
            listen-address=127.0.0.1
            listen-address=127.0.0.2
            interface=lo
            interface=lo
            addn-hosts=/dev/null
            addn-hosts=/dev/null
            log-queries
            log-queries=extra
            domain=lan
            domain-suffix=lan2
            host-record=h,10.0.0.3
            host-record=h,10.0.0.4
            resolv-file=/etc/resolv.conf
            resolv-file=/etc/resolv.conf
            conf-dir=/nowhere
            conf-dir=/nowhere
            domain-needed
            domain-needed
            bogus-priv
            bogus-priv
            no-resolv
            no-resolv
            strict-order
            strict-order
            expand-hosts
            expand-hosts
            """
        XCTAssertEqual(parse(text).errors, [])
    }

    func testARepeatAcrossTwoConfDirFilesNamesTheSecondFile() {
        let fs = DnsmasqConfMemoryFiles(files: ["/etc/dnsmasq.conf": "conf-dir=/etc/dnsmasq.d,*.conf\n",
                                                "/etc/dnsmasq.d/01-pihole.conf": "# Pi-hole\nlocal-service\nlocal-ttl=2\n",
                                                "/etc/dnsmasq.d/99-mine.conf": "local-ttl=5\nlocal-service\n"],
                                        directories: ["/etc/dnsmasq.d": ["99-mine.conf", "01-pihole.conf"]])
        let read = DnsmasqConfIncludes.read(tomlLines: [], dnsmasqConf: "/etc/dnsmasq.conf", files: fs)
        XCTAssertEqual(read.errors, [])
        XCTAssertEqual(DNSOptions.parse(read.lines).errors.map { "\($0.file):\($0.line): \($0.option)" },
                       ["/etc/dnsmasq.d/99-mine.conf:1: local-ttl", "/etc/dnsmasq.d/99-mine.conf:2: local-service"])
    }

    func testASecondServersFileIsRefused() {
        let fs = DnsmasqConfMemoryFiles(files: ["/etc/dnsmasq.conf": "servers-file=/a\nconf-file=/more.conf\n",
                                                "/more.conf": "servers-file=/b\n", "/a": "server=1.1.1.1\n", "/b": "server=2.2.2.2\n"])
        let read = DnsmasqConfIncludes.read(tomlLines: [], dnsmasqConf: "/etc/dnsmasq.conf", files: fs)
        XCTAssertEqual(DNSOptions.parse(read.lines).errors.map { "\($0.file):\($0.line): \($0.option)" }, ["/more.conf:1: servers-file"])
    }

    func testAliasesAreOneOption() {
        // opts[]: dhcp-lease and dhcp-leasefile are both 'l'.
        let errors = parse("dhcp-leasefile=/a\ndhcp-lease=/b\n").errors
        XCTAssertEqual(errors.map(\.option), ["dhcp-lease"])
        XCTAssertTrue(errors[0].message.contains("(dhcp-leasefile, the same option)"), errors[0].message)
    }

    func testAFileOverridesTheDNSTableOnceAndWins() {
        let lines = [toml("local-ttl", "7", line: 3)] + DnsmasqConfReader.parse(text: "local-ttl=9\n", file: "dnsmasq.conf")
        let options = DNSOptions.parse(lines)
        XCTAssertEqual(options.errors, [])
        XCTAssertEqual(options.settings.localTTL, 9)
        XCTAssertEqual(options.warnings.count, 1)
        XCTAssertTrue(options.warnings[0].hasPrefix("stoep.toml:3: local-ttl: replaced by dnsmasq.conf:1"), options.warnings[0])
        // …once: a second file line is the file's repeat.
        let twice = DNSOptions.parse(lines + DnsmasqConfReader.parse(text: "\nlocal-ttl=11\n", file: "more.conf"))
        XCTAssertEqual(twice.errors.map(\.description).map { String($0.prefix(50)) }, ["more.conf:2: local-ttl: illegal repeated keyword: "])
    }

    func testTwiceInTheDNSTableIsARepeatedFlag() {
        // A TOML array gives one option per element: two values for a single-valued key.
        let options = DNSOptions.parse([toml("port", "53", line: 2), toml("port", "54", line: 2), toml("block-mode", "null", line: 4),
                                        toml("block-mode", "nxdomain", line: 4), toml("server", "1.1.1.1", line: 5), toml("server", "8.8.8.8", line: 5)])
        XCTAssertEqual(options.errors.map { "\($0.option): \($0.message.prefix(21))" }, ["port: illegal repeated flag", "block-mode: illegal repeated flag"])
        XCTAssertEqual(options.settings.port, 53)
    }

    func testDNSTableAfterAFileLineIsTakenAsDnsmasqTakesTheCommandLineAfterAFile() {
        // [dns] conf-file=… expands in place: its file's line comes first; the [dns] key after it is still taken
        // (state ARG_USED_FILE: no error), the later value runs and the replacement is said.
        let lines = DnsmasqConfReader.parse(text: "cache-size=10\n", file: "/x.conf") + [toml("cache-size", "20", line: 4)]
        let options = DNSOptions.parse(lines)
        XCTAssertEqual(options.errors, [])
        XCTAssertEqual(options.settings.cacheSize, 20)
        XCTAssertEqual(options.warnings.count, 1)
    }

    func testTheTableIsDnsmasq290s() {
        XCTAssertEqual(DnsmasqRepeatedOptions.singleValued.count, 49)
        for flagOrDup in ["server", "address", "domain-needed", "log-queries", "resolv-file", "conf-file", "no-resolv", "interface"] {
            XCTAssertFalse(DnsmasqRepeatedOptions.singleValued.contains(flagOrDup), flagOrDup)
        }
    }
}
