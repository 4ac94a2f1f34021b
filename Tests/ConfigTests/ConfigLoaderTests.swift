import XCTest
@testable import Config

final class ConfigLoaderTests: XCTestCase {
    private func parsed(_ text: String, file: String = "stoep.toml", line: UInt = #line) -> StoepConfig? {
        switch ConfigLoader.parse(text: text, file: file) {
        case .success(let config): return config
        case .failure(let errors):
            XCTFail("unexpected errors:\n\(errors)", line: line)
            return nil
        }
    }

    private func errors(_ text: String, file: String = "stoep.toml") -> [String] {
        switch ConfigLoader.parse(text: text, file: file) {
        case .success: return []
        case .failure(let errors): return errors.errors.map(\.description)
        }
    }

    func testFullConfig() throws {
        let text = """
            backend = "io_uring"
            user = "stoep"

            [stats]
            socket = "/run/stoep/stats.sock"
            # (line numbers below are asserted)

            [[forward]]
            listen = "127.0.0.1:7000"
            upstream = "[::1]:7001"
            connect-timeout = 2.5
            idle-timeout = 60

            [[forward]]
            name = "ssh"
            listen = ":2222"
            upstream = "10.0.0.5:22"

            [dns]
            address = ["/stoep.lan/127.0.0.1", "/box.lan/10.0.0.1"]
            port = 5353
            listen-address = "127.0.0.1"
            no-resolv = true
            log-queries = false

            [entryPoints.web]
            address = ":80"
            asDefault = true
            [entryPoints.dns]
            address = "127.0.0.1:53/udp"

            [http.routers.app]
            rule = "Host(`app.lan`)"
            [providers.docker]
            exposedByDefault = false
            """
        let config = try XCTUnwrap(parsed(text))
        XCTAssertEqual(config.source, "stoep.toml")
        XCTAssertEqual(config.backend, .ioUring)
        XCTAssertEqual(config.user, "stoep")
        XCTAssertEqual(config.stats.socket, "/run/stoep/stats.sock")
        XCTAssertEqual(config.forwards.count, 2)
        XCTAssertEqual(config.forwards[0].name, "forward-1")
        XCTAssertEqual(config.forwards[0].listen, HostPort(host: "127.0.0.1", port: 7000, isIPv6: false))
        XCTAssertEqual(config.forwards[0].upstream, HostPort(host: "::1", port: 7001, isIPv6: true))
        XCTAssertEqual(config.forwards[0].connectTimeout, 2.5)
        XCTAssertEqual(config.forwards[0].idleTimeout, 60)
        XCTAssertEqual(config.forwards[0].location.line, 8)
        XCTAssertEqual(config.forwards[1].name, "ssh")
        XCTAssertEqual(config.forwards[1].listen.isAnyHost, true)
        XCTAssertEqual(config.forwards[1].connectTimeout, 5)
        XCTAssertEqual(config.forwards[1].idleTimeout, 300)
        XCTAssertEqual(config.dns?.map(\.description), [
            "address=/stoep.lan/127.0.0.1", "address=/box.lan/10.0.0.1", "port=5353", "listen-address=127.0.0.1", "no-resolv",
        ])
        XCTAssertEqual(config.dns?.map(\.location.line), [20, 20, 21, 22, 23])
        XCTAssertEqual(config.entryPoints.map(\.name), ["web", "dns"])
        XCTAssertEqual(config.entryPoints[0].address.description, ":80")
        XCTAssertEqual(config.entryPoints[0].raw["asDefault"]?.value, .bool(true))
        XCTAssertEqual(config.entryPoints[1].transport, .udp)
        XCTAssertEqual(config.entryPoints[1].location.line, 29)
        XCTAssertNotNil(config.http)
        XCTAssertNil(config.tcp)
        XCTAssertNotNil(config.providers)
    }

    func testDefaultsForEmptyFile() throws {
        let config = try XCTUnwrap(parsed(""))
        XCTAssertEqual(config.backend, .auto)
        XCTAssertNil(config.user)
        XCTAssertEqual(config.stats, StatsConfig())
        XCTAssertEqual(config.forwards, [])
        XCTAssertNil(config.dns, "no [dns] table means no DNS server")
        XCTAssertEqual(config.entryPoints, [])
        XCTAssertEqual(try XCTUnwrap(parsed("[dns]")).dns, [])
    }

    func testEmbeddedDefault() throws {
        let config = try ConfigLoader.embeddedDefault().get()
        XCTAssertEqual(config.source, "embedded default")
        XCTAssertEqual(config.dns?.map(\.description), [
            "listen-address=127.0.0.1", "port=5353", "address=/stoep.lan/127.0.0.1", "local=/stoep.lan/", "no-resolv", "no-hosts",
        ])
        XCTAssertEqual(config.entryPoints.map { "\($0.name) \($0.address)" }, ["web 127.0.0.1:8080"])
        XCTAssertEqual(config.forwards, [])
        XCTAssertNil(config.stats.socket)
    }

    /// Each case: a config with one mistake, and the single error it must produce ("line: words").
    func testUserGroupAndGroups() {
        let config = parsed("user = \"stoep\"\ngroup = \"stoep\"\ngroups = [\"docker\", \"999\"]\n")
        XCTAssertEqual(config?.user, "stoep")
        XCTAssertEqual(config?.group, "stoep")
        XCTAssertEqual(config?.groups, ["docker", "999"])
        XCTAssertEqual(parsed("backend = \"auto\"")?.groups, [])
    }

    func testSingleErrors() {
        let cases: [(String, String, UInt)] = [
            ("backend = \"kqueue\"", "stoep.toml:1:11: backend: expected one of \"auto\", \"io_uring\", \"epoll\", found \"kqueue\"", #line),
            ("backend = 1", "stoep.toml:1:11: top level backend: expected a string, found an integer", #line),
            ("user = \"\"", "stoep.toml:1:8: user: expected a user name, found an empty string", #line),
            ("group = \"docker\"", "stoep.toml:1:9: group: only with user = \"name\" (the group stoep switches to after binding)", #line),
            ("groups = [\"docker\"]", "stoep.toml:1:10: groups: only with user = \"name\" (the groups kept after switching to that user)", #line),
            ("user = \"stoep\"\ngroups = \"docker\"", "stoep.toml:2:10: groups: expected an array of group names like [\"docker\"], found a string", #line),
            ("user = \"stoep\"\ngroups = [\"docker\", 5]", "stoep.toml:2:21: groups: expected a group name (a string), found an integer", #line),
            ("user = \"stoep\"\ngroup = \"\"", "stoep.toml:2:9: group: expected a group name, found an empty string", #line),
            ("bakend = \"epoll\"", "stoep.toml:1:10: unknown key 'bakend' in top level; expected one of: backend, user, group, groups, stats, forward, dns, entryPoints, http, tcp, udp, providers, certificatesResolvers, autoDNS, cluster, workers, worker-cpu-affinity (did you mean 'backend'?)", #line),
            ("[udpp]", "stoep.toml:1:1: unknown key 'udpp' in top level; expected one of: backend, user, group, groups, stats, forward, dns, entryPoints, http, tcp, udp, providers, certificatesResolvers, autoDNS, cluster, workers, worker-cpu-affinity (did you mean 'udp'?)", #line),
            ("stats = 1", "stoep.toml:1:9: stats: expected a table ([stats]), found an integer", #line),
            ("[stats]\nprometheus = true", "stoep.toml:2:14: [stats] prometheus: not an option (it never did anything); Prometheus metrics are served by Traefik's metrics.prometheus on an HTTP entry point (docs/proxy.md, Observability)", #line),
            ("[stats]\nsocket = \"\"", "stoep.toml:2:10: [stats] socket: expected a unix socket path of 1-107 bytes", #line),
            ("[stats]\nsockets = \"/x\"", "stoep.toml:2:11: unknown key 'sockets' in [stats]; expected one of: socket (did you mean 'socket'?)", #line),
            ("[forward]\nlisten = \":1\"", "stoep.toml:1:1: forward: expected [[forward]] tables (an array of tables), found a table", #line),
            ("[[forward]]\nupstream = \"127.0.0.1:1\"", "stoep.toml:1:1: [[forward]] #1 is missing 'listen'; expected an address like \"127.0.0.1:7000\", \"[::1]:7000\" or \":7000\"", #line),
            ("[[forward]]\nlisten = \"localhost:1\"\nupstream = \":2\"", "stoep.toml:2:10: [[forward]] #1 listen: expected IPv4:port, [IPv6]:port or :port with port 1-65535 (host names are not resolved), found \"localhost:1\"", #line),
            ("[[forward]]\nlisten = \":1\"\nupstream = \"1.2.3.4:0\"", "stoep.toml:3:12: [[forward]] #1 upstream: expected IPv4:port, [IPv6]:port or :port with port 1-65535 (host names are not resolved), found \"1.2.3.4:0\"", #line),
            ("[[forward]]\nlisten = \":1\"\nupstream = \":2\"\nconnect-timeout = \"5s\"", "stoep.toml:4:19: [[forward]] #1 connect-timeout: expected a number of seconds (like 5 or 2.5), found a string", #line),
            ("[[forward]]\nlisten = \":1\"\nupstream = \":2\"\nidle-timeout = 0", "stoep.toml:4:16: [[forward]] #1 idle-timeout: expected a positive number of seconds, found 0.0", #line),
            ("[[forward]]\nlisten = \":1\"\nupstream = \":2\"\nupstrem = \":3\"", "stoep.toml:4:11: unknown key 'upstrem' in [[forward]] #1; expected one of: name, listen, upstream, connect-timeout, idle-timeout (did you mean 'upstream'?)", #line),
            ("[[forward]]\nname = \"a\"\nlisten = \":1\"\nupstream = \":2\"\n[[forward]]\nname = \"a\"\nlisten = \":3\"\nupstream = \":4\"", "stoep.toml:6:8: [[forward]] name 'a' is already used at line 1; expected unique names", #line),
            ("[[forward]]\nlisten = \":1\"\nupstream = \":2\"\n[[forward]]\nlisten = \"127.0.0.1:1\"\nupstream = \":4\"", "stoep.toml:4:1: forward 'forward-2' listens on 127.0.0.1:1, which overlaps forward 'forward-1' on :1 (line 1); expected a different port or address", #line),
            ("[entryPoints.web]\naddress = \":8080\"\n[[forward]]\nlisten = \":8080\"\nupstream = \":2\"", "stoep.toml:3:1: forward 'forward-1' listens on :8080, which overlaps entry point 'web' on :8080 (line 1); expected a different port or address", #line),
            ("[dns]\nserver = 1.5", "stoep.toml:2:10: [dns] server: expected a string, integer, boolean or array of those (a dnsmasq option value), found a float", #line),
            ("[dns]\nserver = [\"1.1.1.1\", true]", "stoep.toml:2:22: [dns] server: expected each array element to be a string or integer, found a boolean", #line),
            ("[dns.sub]\nx = 1", "stoep.toml:1:1: [dns] sub: expected a string, integer, boolean or array of those (a dnsmasq option value), found a table", #line),
            ("[entryPoints.web]\nport = 80", "stoep.toml:1:1: [entryPoints.web] is missing 'address'; expected an address like \":80\" or \"127.0.0.1:8080\"", #line),
            ("[entryPoints.web]\naddress = \"web:80\"", "stoep.toml:2:11: [entryPoints.web] address: expected \":port\", \"IPv4:port\" or \"[IPv6]:port\" with port 1-65535, optionally followed by /tcp or /udp (host names are not resolved)", #line),
            ("entryPoints = { web = 80 }", "stoep.toml:1:23: entryPoints.web: expected a table ([entryPoints.web]) with an address, found an integer", #line),
        ]
        for (text, expected, line) in cases {
            XCTAssertEqual(errors(text), [expected], line: line)
        }
    }

    func testEveryErrorIsCollectedInFileOrder() {
        let text = """
            backend = "fast"
            [stats]
            prometheus = 1
            [[forward]]
            listen = "localhost:80"
            upstream = "127.0.0.1:8080"
            timeout = 3
            [dns]
            port = 53.0
            """
        XCTAssertEqual(errors(text).map { $0.split(separator: ":").prefix(2).joined(separator: ":") }, [
            "stoep.toml:1", "stoep.toml:3", "stoep.toml:5", "stoep.toml:7", "stoep.toml:9",
        ])
    }

    func testSyntaxAndModelErrorsTogetherWithoutCascades() {
        let text = """
            [[forward]]
            listen = 127.0.0.1:7000
            upstream = "127.0.0.1:7001"
            [stats]
            promethus = true
            socket = "/run/s
            """
        // The broken `listen` is one error, not also "missing listen"; the typo and the broken string
        // are reported too.
        let found = errors(text)
        XCTAssertEqual(found.count, 3, "\(found)")
        XCTAssertTrue(found[0].hasPrefix("stoep.toml:2:10:"), found[0])
        XCTAssertTrue(found[1].hasPrefix("stoep.toml:5:13: unknown key 'promethus'"), found[1])
        XCTAssertTrue(found[2].hasPrefix("stoep.toml:6:17: expected '\"'"), found[2])
    }

    func testLoadReadsFile() throws {
        let path = NSTemporaryDirectory() + "stoep-config-test-\(getpid()).toml"
        defer { unlink(path) }
        try "[[forward]]\nlisten = \":7000\"\nupstream = \"127.0.0.1:7001\"\n".write(toFile: path, atomically: true, encoding: .utf8)
        let config = try ConfigLoader.load(path: path).get()
        XCTAssertEqual(config.source, path)
        XCTAssertEqual(config.forwards.first?.listen.port, 7000)

        try "user = 5\n".write(toFile: path, atomically: true, encoding: .utf8)
        guard case .failure(let errors) = ConfigLoader.load(path: path) else { return XCTFail("expected failure") }
        XCTAssertEqual(errors.errors.first?.location?.file, path)
    }

    func testUnreadableFileNamesTheFile() {
        guard case .failure(let errors) = ConfigLoader.load(path: "/nonexistent/stoep.toml") else { return XCTFail("expected failure") }
        XCTAssertEqual(errors.errors.map(\.description), ["cannot read config file '/nonexistent/stoep.toml': No such file or directory"])
        guard case .failure(let directory) = ConfigLoader.load(path: "/") else { return XCTFail("expected failure") }
        XCTAssertEqual(directory.errors.map(\.description), ["cannot read config file '/': Is a directory"])
    }
}
