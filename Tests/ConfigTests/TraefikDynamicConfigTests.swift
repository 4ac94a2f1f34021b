import XCTest
@testable import Config

final class TraefikDynamicConfigTests: XCTestCase {
    static func decode(_ text: String, provider: String = "file") -> (TraefikDynamicConfig, [ConfigIssue]) {
        let (table, syntaxErrors) = TOMLParser.parse(text, file: "dynamic.toml")
        XCTAssertEqual(syntaxErrors, [])
        return TraefikDynamicConfig.decode(table, provider: provider)
    }

    func testQualify() {
        let cases: [(String, String, String)] = [
            ("auth", "file", "auth@file"),
            ("auth@file", "docker", "auth@file"),
            ("api@internal", "docker", "api@internal"),
            ("whoami-inethi", "docker", "whoami-inethi@docker"),
        ]
        for (reference, provider, expected) in cases {
            XCTAssertEqual(TraefikDynamicConfig.qualify(reference, provider: provider), expected)
        }
    }

    func testRoutersAndReferenceQualification() throws {
        let (config, issues) = Self.decode("""
            [http.routers.dashboard]
            rule = "Host(`traefik.inethilocal.net`)"
            entryPoints = ["websecure"]
            service = "api@internal"
            middlewares = ["auth", "cors@docker"]
            priority = 42
            ruleSyntax = "v2"
            [http.routers.dashboard.tls]
            certResolver = "letsencrypt"
            options = "modern"
            [[http.routers.dashboard.tls.domains]]
            main = "inethilocal.net"
            sans = ["*.inethilocal.net"]
            [http.routers.plain]
            rule = "PathPrefix(`/`)"
            service = "app"
            tls = true
            [http.routers.defaults]
            rule = "Path(`/x`)"
            service = "app"
            [http.routers.defaults.tls]
            options = "default"
            """)
        XCTAssertEqual(issues, [])
        let dashboard = try XCTUnwrap(config.httpRouters["dashboard@file"])
        XCTAssertEqual(dashboard.name, "dashboard@file")
        XCTAssertEqual(dashboard.rule, "Host(`traefik.inethilocal.net`)")
        XCTAssertEqual(dashboard.ruleSyntax, .v2)
        XCTAssertEqual(dashboard.entryPoints, ["websecure"])
        XCTAssertEqual(dashboard.service, "api@internal")
        XCTAssertEqual(dashboard.middlewares, ["auth@file", "cors@docker"])
        XCTAssertEqual(dashboard.priority, 42)
        XCTAssertEqual(dashboard.tls, TraefikRouterTLS(certResolver: "letsencrypt", options: "modern@file",
                                                       domains: [TraefikDomain(main: "inethilocal.net", sans: ["*.inethilocal.net"])]))
        XCTAssertEqual(dashboard.location.line, 1)
        XCTAssertEqual(config.httpRouters["plain@file"]?.tls, TraefikRouterTLS())
        XCTAssertEqual(config.httpRouters["plain@file"]?.service, "app@file")
        XCTAssertEqual(config.httpRouters["plain@file"]?.priority, 0)
        XCTAssertEqual(config.httpRouters["defaults@file"]?.tls, TraefikRouterTLS())  // "default" options stay global
    }

    func testCaseInsensitiveKeysAndLabelStyleValues() throws {
        // Labels arrive as text: lists comma-separated, booleans and numbers as strings, indexes as tables.
        let (config, issues) = Self.decode("""
            [http.routers.Prometheus]
            Rule = "Host(`prometheus.inethilocal.net`)"
            ENTRYPOINTS = "web, websecure"
            middlewares = "myauth"
            priority = "7"
            [http.routers.Prometheus.TLS]
            certresolver = "letsencrypt"
            [http.routers.Prometheus.tls.domains.0]
            main = "a.net"
            sans = "b.a.net,c.a.net"
            [http.services.prometheus.loadbalancer]
            passhostheader = "false"
            [http.services.prometheus.loadbalancer.servers.0]
            url = "http://10.0.0.5:9090"
            [http.middlewares.kc-headers.Headers.customrequestheaders]
            X-Forwarded-Proto = "https"
            """, provider: "docker")
        XCTAssertEqual(issues, [])
        let router = try XCTUnwrap(config.httpRouters["Prometheus@docker"])
        XCTAssertEqual(router.rule, "Host(`prometheus.inethilocal.net`)")
        XCTAssertEqual(router.entryPoints, ["web", "websecure"])
        XCTAssertEqual(router.middlewares, ["myauth@docker"])
        XCTAssertEqual(router.priority, 7)
        XCTAssertNil(router.service)  // label provider: linked to the container's service later
        XCTAssertEqual(router.tls, TraefikRouterTLS(certResolver: "letsencrypt", domains: [TraefikDomain(main: "a.net", sans: ["b.a.net", "c.a.net"])]))
        XCTAssertEqual(config.httpServices["prometheus@docker"]?.kind,
                       .loadBalancer(TraefikLoadBalancer(servers: [TraefikServer(url: "http://10.0.0.5:9090")], passHostHeader: false)))
        guard case .headers(let headers)? = config.httpMiddlewares["kc-headers@docker"]?.kind else { return XCTFail("headers middleware") }
        XCTAssertEqual(headers.customRequestHeaders, [TraefikKeyValue(key: "X-Forwarded-Proto", value: "https")])
    }

    func testDuplicateKeysDifferingInCaseWarn() {
        let (config, issues) = Self.decode("""
            [http.routers.r]
            rule = "Path(`/a`)"
            RULE = "Path(`/b`)"
            service = "s"
            """)
        XCTAssertEqual(config.httpRouters["r@file"]?.rule, "Path(`/b`)")
        XCTAssertEqual(issues.map(\.severity), [.warning])
        XCTAssertEqual(issues.first?.path, "http.routers.r.RULE")
    }

    func testLabelProviderMayOmitRuleAndService() {
        let (config, issues) = Self.decode("[http.routers.nextcloud-db]\nentrypoints = \"websecure\"\n", provider: "docker")
        XCTAssertEqual(issues, [])
        XCTAssertEqual(config.httpRouters["nextcloud-db@docker"], TraefikHTTPRouter(name: "nextcloud-db@docker", rule: nil, entryPoints: ["websecure"],
                                                                                   service: nil, location: SourceLocation(file: "dynamic.toml", line: 1, column: 1)))
    }

    func testInvalidRoutersSkippedOthersKept() {
        let (config, issues) = Self.decode("""
            [http.routers.good]
            rule = "Host(`a`)"
            service = "s"
            [http.routers.norule]
            service = "s"
            [http.routers.noservice]
            rule = "Host(`b`)"
            [http.routers.badpriority]
            rule = "Host(`c`)"
            service = "s"
            priority = "high"
            [http.routers."at@name"]
            rule = "Host(`d`)"
            service = "s"
            [http.routers.badsyntax]
            rule = "Host(`e`)"
            service = "s"
            ruleSyntax = "v1"
            [http.routers.emptyrule]
            rule = ""
            service = "s"
            [http.routers.typo]
            rule = "Host(`f`)"
            service = "s"
            entrypoint = ["web"]
            """)
        XCTAssertEqual(config.httpRouters.keys.sorted(), ["good@file", "typo@file"])
        XCTAssertEqual(issues.filter { $0.severity == .error }.map(\.path), [
            "http.routers.norule.rule", "http.routers.noservice.service", "http.routers.badpriority.priority",
            "http.routers.at@name", "http.routers.badsyntax.ruleSyntax", "http.routers.emptyrule.rule",
        ])
        let typo = issues.first { $0.severity == .warning }
        XCTAssertEqual(typo?.path, "http.routers.typo.entrypoint")
        XCTAssertEqual(typo?.message, "unknown key 'entrypoint', ignored (did you mean 'entryPoints'?)")
        XCTAssertEqual(issues.first?.location, SourceLocation(file: "dynamic.toml", line: 4, column: 1))
        XCTAssertEqual(issues.first?.description, "dynamic.toml:4:1: error: http.routers.norule.rule: router has no rule; expected rule = \"Host(`example.com`)\" or similar")
    }

    func testServices() throws {
        let (config, issues) = Self.decode("""
            [http.services.app.loadBalancer]
            serversTransport = "insecure"
            [[http.services.app.loadBalancer.servers]]
            url = "https://10.0.0.2:8443"
            weight = 3
            [[http.services.app.loadBalancer.servers]]
            url = "http://10.0.0.3"
            [http.services.app.loadBalancer.healthCheck]
            path = "/health"
            interval = "10s"
            timeout = 3
            scheme = "http"
            hostname = "app.lan"
            port = 8080
            headers = { X-Check = "1" }
            [http.services.app.loadBalancer.responseForwarding]
            flushInterval = "1s"
            [http.services.split.weighted]
            services = [{ name = "app", weight = 2 }, { name = "other@docker" }]
            [http.services.sticky.loadBalancer]
            servers = [{ url = "http://10.0.0.4" }]
            sticky.cookie.name = "s"
            [http.services.mirror.mirroring]
            service = "app"
            [http.services.fail.failover]
            service = "app"
            [http.services.none]
            [http.services.badurl.loadBalancer]
            servers = [{ url = "10.0.0.9:80" }]
            [http.serversTransports.insecure]
            insecureSkipVerify = true
            serverName = "unifi"
            rootCAs = ["/ca.pem"]
            [http.serversTransports.insecure.forwardingTimeouts]
            dialTimeout = "2s"
            responseHeaderTimeout = "1m"
            """)
        var health = TraefikHealthCheck(path: "/health", interval: .seconds(10), timeout: .seconds(3), scheme: "http", hostname: "app.lan", port: 8080)
        health.headers = [TraefikKeyValue(key: "X-Check", value: "1")]
        let balancer = TraefikLoadBalancer(servers: [TraefikServer(url: "https://10.0.0.2:8443", weight: 3), TraefikServer(url: "http://10.0.0.3")],
                                           passHostHeader: true, healthCheck: health, serversTransport: "insecure@file", flushInterval: .seconds(1))
        XCTAssertEqual(config.httpServices["app@file"]?.kind, .loadBalancer(balancer))
        XCTAssertEqual(config.httpServices["split@file"]?.kind, .weighted([TraefikWeightedService(name: "app@file", weight: 2, written: "app"),
                                                                           TraefikWeightedService(name: "other@docker", weight: 1)]))
        guard case .loadBalancer(let sticky)? = config.httpServices["sticky@file"]?.kind else { return XCTFail("sticky kept") }
        XCTAssertEqual(sticky.flushInterval, .milliseconds(100))
        XCTAssertEqual(sticky.sticky, TraefikStickyCookie(name: "s"))
        XCTAssertEqual(config.httpServices["mirror@file"]?.kind, .mirroring(TraefikMirroring(service: "app@file", mirrors: [], writtenService: "app")))
        XCTAssertEqual(config.httpServices.keys.sorted(), ["app@file", "mirror@file", "split@file", "sticky@file"])
        XCTAssertEqual(issues.map { "\($0.severity) \($0.path)" }, [
            "error http.services.fail.failover.fallback",
            "error http.services.none",
            "error http.services.badurl.loadBalancer.servers[0].url",
        ])
        let transport = try XCTUnwrap(config.serversTransports["insecure@file"])
        XCTAssertTrue(transport.insecureSkipVerify)
        XCTAssertEqual(transport.serverName, "unifi")
        XCTAssertEqual(transport.rootCAs, ["/ca.pem"])
        XCTAssertEqual(transport.maxIdleConnsPerHost, 0)
        XCTAssertEqual(transport.forwardingTimeouts, TraefikForwardingTimeouts(dialTimeout: .seconds(2), responseHeaderTimeout: .seconds(60), idleConnTimeout: .seconds(90)))
    }

    func testStrategiesFailoverMirroringAndTCPWeighted() throws {
        let (config, issues) = Self.decode("""
            [http.services.p.loadBalancer]
            strategy = "p2c"
            servers = [{ url = "http://10.0.0.1" }]
            [http.services.h.loadBalancer]
            strategy = "hrw"
            servers = [{ url = "http://10.0.0.1" }]
            sticky.cookie.name = "s"
            [http.services.bad.loadBalancer]
            strategy = "random"
            servers = [{ url = "http://10.0.0.1" }]
            [http.services.fo.failover]
            service = "p"
            fallback = "h@docker"
            healthCheck = {}
            [http.services.foerr.failover]
            service = "p"
            fallback = "h"
            errors = { status = ["500-599"] }
            [http.services.m.mirroring]
            service = "p"
            maxBodySize = 1024
            mirrorBody = false
            mirrors = [{ name = "h", percent = 10 }]
            [http.services.mbad.mirroring]
            service = "p"
            mirrors = [{ name = "h", percent = 101 }]
            [http.services.hrw.highestRandomWeight]
            services = [{ name = "p" }]
            [tcp.services.w.weighted]
            services = [{ name = "db", weight = 3 }, { name = "x@docker" }]
            [tcp.services.whc.weighted]
            services = [{ name = "db" }]
            healthCheck = {}
            """)
        guard case .loadBalancer(let p)? = config.httpServices["p@file"]?.kind else { return XCTFail("p kept") }
        XCTAssertEqual(p.strategy, .p2c)
        guard case .loadBalancer(let h)? = config.httpServices["h@file"]?.kind else { return XCTFail("h kept") }
        XCTAssertEqual(h.strategy, .hrw)
        XCTAssertNil(h.sticky)
        XCTAssertEqual(config.httpServices["fo@file"]?.kind,
                       .failover(TraefikFailover(service: "p@file", fallback: "h@docker", healthCheck: true, written: (service: "p", fallback: "h@docker"))))
        XCTAssertEqual(config.httpServices["m@file"]?.kind,
                       .mirroring(TraefikMirroring(service: "p@file", mirrors: [.init(name: "h@file", percent: 10, written: "h")], mirrorBody: false,
                                                   maxBodySize: 1024, writtenService: "p")))
        XCTAssertEqual(config.tcpServices["w@file"]?.weighted, [TraefikWeightedService(name: "db@file", weight: 3, written: "db"),
                                                               TraefikWeightedService(name: "x@docker", weight: 1)])
        XCTAssertEqual(config.httpServices["hrw@file"]?.kind, .highestRandomWeight([TraefikWeightedService(name: "p@file", weight: 1, written: "p")]))
        XCTAssertEqual(config.httpServices.keys.sorted(), ["fo@file", "h@file", "hrw@file", "m@file", "p@file"])
        XCTAssertEqual(config.tcpServices.keys.sorted(), ["w@file"])
        XCTAssertEqual(issues.map { "\($0.severity) \($0.path)" }.sorted(), [
            "error http.services.bad.loadBalancer.strategy",
            "error http.services.foerr.failover.errors",
            "error http.services.mbad.mirroring.mirrors[0].percent",
            "error tcp.services.whc.weighted.healthCheck",
            "warning http.services.h.loadBalancer.sticky",
        ])
    }

    func testStructuralErrorsNeverFailWhole() {
        let (config, issues) = Self.decode("""
            http = 5
            [tcp]
            routers = "nope"
            [tls]
            bogus = 1
            [extra]
            """)
        XCTAssertEqual(config, TraefikDynamicConfig(provider: "file"))
        XCTAssertEqual(issues.map { "\($0.severity) \($0.path)" }, ["warning extra", "error http", "error tcp.routers", "warning tls.bogus"])
    }
}
