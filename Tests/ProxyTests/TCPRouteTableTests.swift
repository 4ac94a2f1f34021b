import Config
@testable import Proxy
import Rules
import XCTest

final class TCPRouteTableTests: XCTestCase {
    private struct Router {
        var name: String
        var rule: String
        var passthrough: Bool? = nil  // nil: no tls section
        var priority: Int64 = 0
        var entryPoints: [String] = []
        var service: String? = "svc"
        var syntax: TraefikRuleSyntax? = nil
        var middlewares: [String] = []
    }

    private func table(_ routers: [Router], servers: [String] = ["127.0.0.1:5432"],
                       entryPoints: [String] = ["web", "tcp"]) -> (table: TCPRouteTable, problems: [String]) {
        var config = TraefikDynamicConfig(provider: "file")
        for (line, r) in routers.enumerated() {
            let name = r.name + "@file"
            config.tcpRouters[name] = TraefikTCPRouter(
                name: name, rule: r.rule, ruleSyntax: r.syntax, entryPoints: r.entryPoints, middlewares: r.middlewares,
                service: r.service.map { $0 + "@file" }, priority: r.priority,
                tls: r.passthrough.map { TraefikRouterTLS(passthrough: $0) },
                location: SourceLocation(file: "dyn.toml", line: line + 1, column: 1))
        }
        config.tcpServices["svc@file"] = TraefikTCPService(
            name: "svc@file", servers: servers.map { TraefikTCPServer(address: $0) },
            location: SourceLocation(file: "dyn.toml", line: 100, column: 1))
        return TCPRouteTableBuilder.build([config], entryPointNames: entryPoints)
    }

    private func name(_ route: TCPRoute?) -> String? { route.map { String($0.name.prefix { $0 != "@" }) } }

    func testPriorities() {
        let built = table([
            Router(name: "sni", rule: "HostSNI(`db.lan`)", passthrough: true),                       // 17
            Router(name: "regexp", rule: "HostSNIRegexp(`^[a-z]+\\.lan$`)", passthrough: true),       // 30
            Router(name: "explicit", rule: "HostSNI(`*`)", passthrough: true, priority: 1000),
            Router(name: "catchall", rule: "HostSNI(`*`)", passthrough: true),
        ])
        XCTAssertEqual(built.problems, [])
        XCTAssertEqual(built.table.routes.map(\.priority), [1000, 30, 17, -1])
        XCTAssertEqual(built.table.routes.map(\.isCatchAll), [true, false, false, true])
        let match = { (sni: String) in
            self.name(built.table.on("tcp").match(serverName: sni, alpn: [], clientIP: nil, isTLS: true))
        }
        XCTAssertEqual(match("db.lan"), "explicit")

        let withoutExplicit = table([
            Router(name: "sni", rule: "HostSNI(`db.lan`)", passthrough: true),
            Router(name: "regexp", rule: "HostSNIRegexp(`^[a-z]+\\.lan$`)", passthrough: true),
            Router(name: "catchall", rule: "HostSNI(`*`)", passthrough: true),
        ]).table
        let cases: [(String?, String?)] = [("db.lan", "regexp"), ("db1.lan", "catchall"), (nil, "catchall")]
        for (sni, expected) in cases {
            XCTAssertEqual(name(withoutExplicit.on("tcp").match(serverName: sni, alpn: [], clientIP: nil,
                                                       isTLS: true)), expected, "\(sni ?? "no SNI")")
        }
    }

    func testCatchAllWithoutTLS() {
        let built = table([
            Router(name: "all", rule: "HostSNI(`*`)", entryPoints: ["tcp"]),
            Router(name: "lan", rule: "ClientIP(`10.0.0.0/8`)", entryPoints: ["tcp"]),
        ])
        XCTAssertEqual(built.problems, [])
        let t = built.table
        XCTAssertEqual(name(t.on("tcp").catchAll), "all")
        XCTAssertNil(t.on("web").catchAll)
        XCTAssertFalse(t.on("tcp").needsPeek)
        XCTAssertFalse(t.on("tcp").isEmpty)
        XCTAssertTrue(t.on("web").isEmpty)
        XCTAssertEqual(name(t.on("tcp").matchBeforeReading(clientIP: ClientIP("10.1.2.3"))), "lan")
        XCTAssertEqual(name(t.on("tcp").matchBeforeReading(clientIP: ClientIP("192.168.1.1"))), "all")
        XCTAssertNil(t.on("web").matchBeforeReading(clientIP: ClientIP("10.1.2.3")))
        // A non-TLS router never takes a TLS connection.
        XCTAssertNil(t.on("tcp").match(serverName: "a.b", alpn: [], clientIP: nil, isTLS: true))

        // With a passthrough router beside it the entry point must peek; non-TLS still lands in the catch-all.
        let mixed = table([
            Router(name: "all", rule: "HostSNI(`*`)"),
            Router(name: "db", rule: "HostSNI(`db.lan`)", passthrough: true),
        ]).table
        XCTAssertTrue(mixed.on("web").needsPeek)
        XCTAssertNil(mixed.on("web").matchBeforeReading(clientIP: nil))
        XCTAssertEqual(name(mixed.on("web").match(serverName: nil, alpn: [], clientIP: nil, isTLS: false)), "all")
        XCTAssertEqual(name(mixed.on("web").match(serverName: "db.lan", alpn: [], clientIP: nil, isTLS: true)), "db")
        XCTAssertNil(mixed.on("web").match(serverName: "x.lan", alpn: [], clientIP: nil, isTLS: true))
    }

    func testSNIALPNAndClientIP() {
        let t = table([
            Router(name: "db", rule: "HostSNI(`db.lan`)", passthrough: true),
            Router(name: "wild", rule: "HostSNI(`*.apps.lan`)", passthrough: true),
            Router(name: "h2", rule: "HostSNI(`web.lan`) && ALPN(`h2`)", passthrough: true),
            Router(name: "web", rule: "HostSNI(`web.lan`)", passthrough: true),
            Router(name: "office", rule: "HostSNI(`admin.lan`) && ClientIP(`192.168.0.0/16`)", passthrough: true),
        ]).table
        let cases: [(sni: String?, alpn: [String], ip: String?, tls: Bool, expected: String?)] = [
            ("db.lan", [], nil, true, "db"),
            ("DB.LAN", [], nil, true, "db"),
            ("db.lan", [], nil, false, nil),  // SNI routers never see non-TLS connections
            ("x.apps.lan", [], nil, true, "wild"),
            ("a.x.apps.lan", [], nil, true, nil),
            ("web.lan", ["http/1.1", "h2"], nil, true, "h2"),
            ("web.lan", ["http/1.1"], nil, true, "web"),
            ("web.lan", [], nil, true, "web"),
            ("admin.lan", [], "192.168.4.4", true, "office"),
            ("admin.lan", [], "10.0.0.1", true, nil),
            ("admin.lan", [], nil, true, nil),
            (nil, [], nil, true, nil),
        ]
        for c in cases {
            let route = t.on("web").match(serverName: c.sni, alpn: c.alpn,
                                clientIP: c.ip.flatMap(ClientIP.init), isTLS: c.tls)
            XCTAssertEqual(name(route), c.expected, "\(c)")
        }
    }

    func testEntryPoints() {
        let t = table([
            Router(name: "only-tcp", rule: "HostSNI(`*`)", passthrough: true, entryPoints: ["tcp"]),
            Router(name: "everywhere", rule: "HostSNI(`db.lan`)", passthrough: true),
        ]).table
        XCTAssertEqual(name(t.on("tcp").match(serverName: "x", alpn: [], clientIP: nil, isTLS: true)), "only-tcp")
        XCTAssertNil(t.on("web").match(serverName: "x", alpn: [], clientIP: nil, isTLS: true))
        XCTAssertEqual(name(t.on("web").match(serverName: "db.lan", alpn: [], clientIP: nil, isTLS: true)), "everywhere")
    }

    func testProblemsAreReportedAndRoutersSkipped() {
        let built = table([
            Router(name: "bad", rule: "HostSNI(`a b`)", passthrough: true),
            Router(name: "nosni", rule: "HostSNI(`db.lan`)"),
            Router(name: "terminate", rule: "HostSNI(`db.lan`)", passthrough: false),
            Router(name: "nosvc", rule: "HostSNI(`*`)", service: nil),
            Router(name: "missing", rule: "HostSNI(`*`)", service: "gone"),
            Router(name: "norule", rule: ""),
            Router(name: "mw", rule: "HostSNI(`*`)", middlewares: ["allow@file"]),
            Router(name: "ghost-ep", rule: "HostSNI(`*`)", entryPoints: ["nowhere"]),
            Router(name: "v2", rule: "HostSNI(`a.lan`, `b.lan`)", passthrough: true),
            Router(name: "good", rule: "HostSNI(`*`) && ClientIP(`10.0.0.1`)"),
        ])
        XCTAssertEqual(built.table.routes.map { name($0) }, ["good", "v2", "terminate", "ghost-ep"])
        XCTAssertTrue(built.table.routes.first { name($0) == "terminate" }?.tlsTerminated == true)
        let expected: [(String, String)] = [
            ("dyn.toml:1:1: TCP router bad@file: ", "is not a valid hostname"),
            ("dyn.toml:2:1: TCP router nosni@file: ", "has HostSNI matcher, but no TLS on router"),
            ("dyn.toml:4:1: TCP router nosvc@file: ", "service is missing"),
            ("dyn.toml:5:1: TCP router missing@file: ", "service gone@file not found; skipped"),
            ("dyn.toml:6:1: TCP router norule@file: ", "no rule"),
            ("dyn.toml:7:1: TCP router mw@file: ", "TCP middleware allow@file not found; skipped"),
            ("dyn.toml:8:1: TCP router ghost-ep@file: ", "entry point nowhere does not exist"),
            ("dyn.toml:9:1: TCP router v2@file: ", "accepted as v2"),
        ]
        XCTAssertEqual(built.problems.count, expected.count, "\(built.problems)")
        for (prefix, fragment) in expected {
            XCTAssertTrue(built.problems.contains { $0.hasPrefix(prefix) && $0.contains(fragment) },
                          "no problem \(prefix)…\(fragment) in \(built.problems)")
        }
        XCTAssertEqual(built.table.problems, built.problems)
    }

    func testServicesRoundRobinAndAddresses() {
        let built = table([Router(name: "all", rule: "HostSNI(`*`)")],
                          servers: ["127.0.0.1:1", "[::1]:2", "localhost:3", "nope", "::1:5", "10.0.0.1:0",
                                    "no-such-host.invalid:6"])
        let service = built.table.services.first
        XCTAssertEqual(service?.servers.map(\.configured), ["127.0.0.1:1", "[::1]:2", "localhost:3"])
        XCTAssertEqual((0..<7).compactMap { _ in service?.next()?.upstream.configured },
                       ["127.0.0.1:1", "[::1]:2", "localhost:3", "127.0.0.1:1", "[::1]:2", "localhost:3", "127.0.0.1:1"])
        XCTAssertEqual(built.problems.filter { $0.contains("warning: host name resolved once") }.count, 1, "\(built.problems)")
        for bad in ["nope", "::1:5", "10.0.0.1:0", "no-such-host.invalid:6"] {
            XCTAssertTrue(built.problems.contains { $0.contains("server \(bad):") && $0.hasSuffix("skipped") },
                          "\(bad) not reported: \(built.problems)")
        }

        var config = TraefikDynamicConfig(provider: "file")
        config.tcpServices["tls@file"] = TraefikTCPService(
            name: "tls@file", servers: [TraefikTCPServer(address: "127.0.0.1:9", tls: true)],
            location: SourceLocation(file: "d.toml", line: 3, column: 1))
        let tlsOnly = TCPRouteTableBuilder.build([config], entryPointNames: [])
        XCTAssertTrue(tlsOnly.table.services.isEmpty)
        XCTAssertEqual(tlsOnly.problems, [
            "d.toml:3:1: TCP service tls@file: server 127.0.0.1:9: TLS to a TCP server is not supported yet; skipped",
            "d.toml:3:1: TCP service tls@file: no usable server; skipped",
        ])
        XCTAssertNil(TCPService(name: "empty", servers: []).next())
    }

    func testCatchAllDetection() {
        let cases: [(String, Bool)] = [
            ("HostSNI(`*`)", true), ("HostSNI(`*`) && ClientIP(`10.0.0.1`)", false), ("!HostSNI(`*`)", false),
            ("HostSNI(`db.lan`)", false), ("ClientIP(`10.0.0.1`)", false),
        ]
        for (rule, expected) in cases {
            guard let parsed = try? RuleParser.parseTCP(rule) else { XCTFail(rule); continue }
            XCTAssertEqual(TCPRouteTableBuilder.isCatchAll(parsed), expected, rule)
        }
        XCTAssertEqual(TCPRouteTableBuilder.priority(configured: 0, rule: "HostSNI(`*`)", catchAll: true), -1)
        XCTAssertEqual(TCPRouteTableBuilder.priority(configured: 5, rule: "HostSNI(`*`)", catchAll: true), 5)
        XCTAssertEqual(TCPRouteTableBuilder.priority(configured: 0, rule: "HostSNI(`a`)", catchAll: false), 12)
    }

    /// The engine's path: peek the captured hello, then route by what it says.
    func testPeekThenMatch() {
        let t = table([
            Router(name: "h2", rule: "HostSNI(`x.test`) && ALPN(`h2`)", passthrough: true),
            Router(name: "plain", rule: "HostSNI(`*`)"),
        ]).table
        guard case .hello(let sni, let alpn) = ClientHello.peek(ClientHelloSamples.openSSLTLS13) else {
            return XCTFail("captured hello did not parse")
        }
        XCTAssertEqual(name(t.on("web").match(serverName: sni, alpn: alpn, clientIP: nil, isTLS: true)), "h2")
        XCTAssertEqual(ClientHello.peek(Array("GET / HTTP/1.1\r\n".utf8)), .notTLS)
        XCTAssertEqual(name(t.on("web").match(serverName: nil, alpn: [], clientIP: nil, isTLS: false)), "plain")
    }
}

final class TCPUpstreamAddressTests: XCTestCase {
    /// A numeric address is taken as it is; a host name is resolved once (SocketAddress.resolving) and
    /// its IP given back for the load-time warning.
    func testNumericAndResolvedAddresses() throws {
        let numeric = try TCPUpstreamAddress.resolve("10.0.0.7:5432").get()
        XCTAssertEqual(numeric.upstream.address.description, "10.0.0.7:5432")
        XCTAssertNil(numeric.resolvedFrom)
        let named = try TCPUpstreamAddress.resolve("localhost:5432").get()
        XCTAssertTrue(["127.0.0.1", "::1"].contains(named.resolvedFrom ?? ""), "\(String(describing: named.resolvedFrom))")
        XCTAssertTrue(named.upstream.address.description.hasSuffix(":5432"))
        XCTAssertThrowsError(try TCPUpstreamAddress.resolve("localhost").get())
    }
}

/// TCP middlewares resolved by the builder, run as an entry point runs them for a new connection.
extension TCPRouteTableTests {
    func testMiddlewaresAdmitAndRelease() {
        var config = TraefikDynamicConfig(provider: "file")
        let here = SourceLocation(file: "dyn.toml", line: 1, column: 1)
        config.tcpRouters["r@file"] = TraefikTCPRouter(name: "r@file", rule: "HostSNI(`*`)", middlewares: ["lan@file", "two@file"],
                                                      service: "svc@file", location: here)
        config.tcpServices["svc@file"] = TraefikTCPService(name: "svc@file", servers: [TraefikTCPServer(address: "127.0.0.1:1")], location: here)
        config.tcpMiddlewares["lan@file"] = TraefikMiddleware(name: "lan@file", kind: .ipAllowList(TraefikIPAllowList(sourceRange: ["10.0.0.0/8"])), location: here)
        config.tcpMiddlewares["two@file"] = TraefikMiddleware(name: "two@file", kind: .inFlightConn(amount: 2), location: here)
        let built = TCPRouteTableBuilder.build([config], entryPointNames: ["tcp"])
        XCTAssertEqual(built.problems, [])
        let chain = built.table.routes[0].middlewares
        let a = ClientIP("10.0.0.1")!, b = ClientIP("10.0.0.2")!
        XCTAssertNil(chain.admit(ClientIP("192.168.1.1")))        // outside the allow list
        let first = chain.admit(a), second = chain.admit(a)
        XCTAssertNotNil(first)
        XCTAssertNotNil(second)
        XCTAssertNil(chain.admit(a))                              // a third from the same IP
        XCTAssertNotNil(chain.admit(b))                           // another IP has its own count
        first?.release()
        XCTAssertNotNil(chain.admit(a))                           // a slot is free again
        guard case .inFlightConn(let counter) = chain[1] else { return XCTFail() }
        XCTAssertEqual(counter.refused, 1)
        XCTAssertEqual(counter.clients, 2)
    }
}
