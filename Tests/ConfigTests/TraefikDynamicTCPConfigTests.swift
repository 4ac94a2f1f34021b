import XCTest
@testable import Config

/// TCP and UDP routers and services, TLS options and stores, and TCP servers transports of the dynamic
/// configuration (the HTTP half is TraefikDynamicConfigTests).
final class TraefikDynamicTCPConfigTests: XCTestCase {
    func testTCPAndTLSAndUDP() throws {
        let (config, issues) = TraefikDynamicConfigTests.decode("""
            [tcp.routers.db]
            rule = "HostSNI(`db.lan`)"
            entryPoints = ["pg"]
            service = "db"
            [tcp.routers.db.tls]
            passthrough = true
            [tcp.routers.norule]
            service = "db"
            [tcp.services.db.loadBalancer]
            servers = [{ address = "10.0.0.7:5432" }, { address = "10.0.0.8:5432", tls = true }]
            [tcp.middlewares.lan.ipAllowList]
            sourceRange = ["10.0.0.0/8"]
            [tcp.middlewares.one.inFlightConn]
            amount = 2
            [tcp.middlewares.zero.inFlightConn]
            amount = 0
            [tcp.serversTransports.pp]
            proxyProtocol = { version = 1 }
            dialTimeout = "5s"
            [tcp.serversTransports.bad]
            proxyProtocol = { version = 3 }
            [tcp.services.old.loadBalancer]
            servers = [{ address = "10.0.0.9:25" }]
            proxyProtocol = {}
            [udp.routers.dns]
            service = "dns"
            [udp.routers.nosvc]
            entryPoints = ["dns"]
            [udp.services.dns.loadBalancer]
            servers = [{ address = "10.0.0.53:53" }]
            [udp.services.w.weighted]
            services = [{ name = "dns", weight = 3 }, { name = "other@docker" }]
            [[tls.certificates]]
            certFile = "/c.pem"
            keyFile = "/k.pem"
            stores = ["default"]
            [[tls.certificates]]
            certFile = "/only-cert.pem"
            [tls.options.default]
            minVersion = "VersionTLS12"
            [tls.options.modern]
            minVersion = "VersionTLS13"
            sniStrict = true
            alpnProtocols = ["h2"]
            cipherSuites = ["TLS_AES_128_GCM_SHA256"]
            [tls.options.old]
            minVersion = "TLS1.0"
            [tls.options.mtls.clientAuth]
            caFiles = ["/ca.pem"]
            [tls.stores.default.defaultCertificate]
            certFile = "/d.pem"
            keyFile = "/dk.pem"
            """)
        let db = try XCTUnwrap(config.tcpRouters["db@file"])
        XCTAssertEqual(db.rule, "HostSNI(`db.lan`)")
        XCTAssertEqual(db.entryPoints, ["pg"])
        XCTAssertEqual(db.service, "db@file")
        XCTAssertEqual(db.tls, TraefikRouterTLS(passthrough: true))
        XCTAssertEqual(config.tcpServices["db@file"]?.servers, [TraefikTCPServer(address: "10.0.0.7:5432"), TraefikTCPServer(address: "10.0.0.8:5432", tls: true)])
        XCTAssertEqual(config.tcpMiddlewares["lan@file"]?.kind, .ipAllowList(TraefikIPAllowList(sourceRange: ["10.0.0.0/8"])))
        XCTAssertEqual(config.tcpMiddlewares["one@file"]?.kind, .inFlightConn(amount: 2))
        XCTAssertEqual(config.tcpServersTransports["pp@file"]?.proxyProtocolVersion, 1)
        XCTAssertEqual(config.tcpServersTransports["pp@file"]?.dialTimeout, .seconds(5))
        XCTAssertEqual(config.tcpServices["old@file"]?.proxyProtocolVersion, 2)  // Traefik's default version
        XCTAssertEqual(config.udpRouters["dns@file"]?.service, "dns@file")
        XCTAssertEqual(config.udpServices["dns@file"]?.kind, .loadBalancer(servers: ["10.0.0.53:53"]))
        XCTAssertEqual(config.udpServices["w@file"]?.kind, .weighted([TraefikUDPWeightedService(name: "dns@file", weight: 3),
                                                                      TraefikUDPWeightedService(name: "other@docker", weight: 1)]))
        XCTAssertEqual(config.tls.certificates.map(\.certFile), ["/c.pem"])
        XCTAssertEqual(config.tls.certificates.first?.stores, ["default"])
        XCTAssertEqual(config.tls.options.keys.sorted(), ["default", "modern@file"])
        let modern = try XCTUnwrap(config.tls.options["modern@file"])
        XCTAssertEqual(modern.minVersion, "VersionTLS13")
        XCTAssertTrue(modern.sniStrict)
        XCTAssertEqual(modern.alpnProtocols, ["h2"])
        XCTAssertEqual(modern.cipherSuites, ["TLS_AES_128_GCM_SHA256"])
        XCTAssertEqual(config.tls.options["default"]?.alpnProtocols, TraefikTLSOptions.defaultALPN)
        XCTAssertEqual(config.tls.stores["default"]?.defaultCertificate?.keyFile, "/dk.pem")
        XCTAssertEqual(issues.map { "\($0.severity) \($0.path)" }, [
            "error tcp.routers.norule.rule",
            "warning tcp.services.old.loadBalancer.proxyProtocol",
            "error tcp.middlewares.zero.inFlightConn.amount",
            "error tcp.serversTransports.bad.proxyProtocol.version",
            "error udp.routers.nosvc.service",
            "error tls.certificates[1]",
            "error tls.options.old.minVersion",
            "error tls.options.mtls.clientAuth",
        ])
    }

    func testTCPServersTransportTimings() throws {
        let (config, issues) = TraefikDynamicConfigTests.decode("""
            [tcp.serversTransports.a]
            terminationDelay = "-1s"
            dialKeepAlive = "-1s"
            [tcp.serversTransports.b]
            terminationDelay = "250ms"
            [tcp.services.old.loadBalancer]
            servers = [{ address = "10.0.0.9:25" }]
            terminationDelay = 50
            """)
        XCTAssertEqual(issues.map { "\($0.severity) \($0.path)" }, ["warning tcp.services.old.loadBalancer.terminationDelay"])
        let a = try XCTUnwrap(config.tcpServersTransports["a@file"])
        XCTAssertEqual(a.terminationDelay, TraefikDuration(nanoseconds: -1_000_000_000))
        XCTAssertEqual(a.dialKeepAlive, TraefikDuration(nanoseconds: -1_000_000_000))
        let b = try XCTUnwrap(config.tcpServersTransports["b@file"])
        XCTAssertEqual(b.terminationDelay, .milliseconds(250))
        XCTAssertEqual(b.dialKeepAlive, .seconds(15))
        XCTAssertEqual(config.tcpServices["old@file"]?.terminationDelayMilliseconds, 50)
    }
}
