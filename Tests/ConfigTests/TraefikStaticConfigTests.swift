import Foundation
import XCTest
@testable import Config

final class TraefikStaticConfigTests: XCTestCase {
    static let fixturePath = "/work/shared/fixtures/inethi/traefik.toml"
    /// The fixture's text, used when the shared fixture directory is not mounted.
    static let fixtureCopy = """
        [global]
          checkNewVersion = false
          sendAnonymousUsage = false

        [log]
          level = "INFO"

        [accessLog]
          filePath = "/var/log/traefik/access.log"

        [metrics]
          [metrics.prometheus]
            buckets = [0.1, 0.3, 1.2, 5.0]

        [api]
          dashboard = true

        [providers.docker]
          endpoint = "unix:///var/run/docker.sock"
          exposedByDefault = false
          network = "inethi-bridge-traefik"

        [providers.file]
          directory = "/etc/traefik/dynamic"
          watch = true

        [entryPoints]
          [entryPoints.web]
            address = ":80"
            [entryPoints.web.http.redirections.entryPoint]
              to = "websecure"
              scheme = "https"
          [entryPoints.websecure]
            address = ":443"
            [entryPoints.websecure.http.tls]
              certResolver = "letsencrypt"
              [[entryPoints.websecure.http.tls.domains]]
                main = "inethilocal.net"
                sans = ["*.inethilocal.net"]

        [serversTransport]
          insecureSkipVerify = true

        [certificatesResolvers.letsencrypt.acme]
          email = "admin@inethilocal.net"
          storage = "/letsencrypt/acme.json"
          [certificatesResolvers.letsencrypt.acme.dnsChallenge]
            provider = "route53"
        """

    static func decode(_ text: String, file: String = "traefik.toml") -> (TraefikStaticConfig, [ConfigIssue]) {
        let (table, syntaxErrors) = TOMLParser.parse(text, file: file)
        XCTAssertEqual(syntaxErrors, [])
        return TraefikStaticConfig.decode(table)
    }

    func testINethiFixture() throws {
        let text = (try? String(contentsOfFile: Self.fixturePath, encoding: .utf8)) ?? Self.fixtureCopy
        let (config, issues) = Self.decode(text, file: "traefik.toml")

        XCTAssertEqual(issues.filter { $0.severity == .error }, [])
        XCTAssertEqual(issues.map(\.path), ["certificatesResolvers.letsencrypt.acme.dnsChallenge.provider"])  // route53 is not run by stoep

        XCTAssertEqual(config.log.level, "INFO")
        XCTAssertEqual(config.log.filePath, nil)
        XCTAssertEqual(config.log.format, "common")
        XCTAssertEqual(config.accessLog?.filePath, "/var/log/traefik/access.log")
        XCTAssertEqual(config.accessLog?.format, .common)
        XCTAssertEqual(config.accessLog?.bufferingSize, 0)
        XCTAssertEqual(config.prometheus, TraefikPrometheus())
        XCTAssertEqual(config.prometheus?.buckets, [0.1, 0.3, 1.2, 5.0])
        XCTAssertEqual(config.api, TraefikAPI())
        XCTAssertEqual(config.api?.dashboard, true)
        XCTAssertEqual(config.api?.insecure, false)

        let docker = try XCTUnwrap(config.providers.docker)
        XCTAssertEqual(docker.endpoint, "unix:///var/run/docker.sock")
        XCTAssertFalse(docker.exposedByDefault)
        XCTAssertEqual(docker.network, "inethi-bridge-traefik")
        XCTAssertEqual(docker.defaultRule, "Host(`{{ normalize .Name }}`)")
        XCTAssertTrue(docker.watch)
        XCTAssertFalse(docker.useBindPortIP)
        XCTAssertEqual(config.providers.file, TraefikFileProvider(filename: nil, directory: "/etc/traefik/dynamic", watch: true))
        XCTAssertEqual(config.providers.throttleDuration, .seconds(2))

        XCTAssertEqual(config.entryPoints.map(\.name), ["web", "websecure"])
        let web = try XCTUnwrap(config.entryPoint(named: "web"))
        XCTAssertEqual(web.address, HostPort(host: "", port: 80, isIPv6: false))
        XCTAssertEqual(web.transport, .tcp)
        XCTAssertFalse(web.asDefault)
        XCTAssertEqual(web.redirection, TraefikEntryPointRedirection(to: "websecure", scheme: "https", permanent: true, priority: Int64.max - 1))
        XCTAssertNil(web.tls)
        XCTAssertEqual(web.middlewares, [])
        XCTAssertEqual(web.respondingTimeouts, TraefikRespondingTimeouts(readTimeout: .seconds(60), writeTimeout: .zero, idleTimeout: .seconds(180)))
        XCTAssertEqual(web.graceTimeOut, .seconds(10))
        XCTAssertEqual(web.forwardedHeaders, TraefikForwardedHeaders(trustedIPs: [], insecure: false))
        XCTAssertEqual(web.location.line, 28)

        let websecure = try XCTUnwrap(config.entryPoint(named: "websecure"))
        XCTAssertEqual(websecure.address.port, 443)
        XCTAssertNil(websecure.redirection)
        XCTAssertEqual(websecure.tls, TraefikRouterTLS(certResolver: "letsencrypt", options: nil,
                                                       domains: [TraefikDomain(main: "inethilocal.net", sans: ["*.inethilocal.net"])]))

        XCTAssertTrue(config.serversTransport.insecureSkipVerify)
        XCTAssertEqual(config.serversTransport.maxIdleConnsPerHost, 200)
        XCTAssertEqual(config.serversTransport.forwardingTimeouts, TraefikForwardingTimeouts(dialTimeout: .seconds(30), responseHeaderTimeout: .zero, idleConnTimeout: .seconds(90)))

        let resolver = try XCTUnwrap(config.certificatesResolvers["letsencrypt"])
        let acme = try XCTUnwrap(resolver.acme)
        XCTAssertEqual(acme.email, "admin@inethilocal.net")
        XCTAssertEqual(acme.storage, "/letsencrypt/acme.json")
        XCTAssertEqual(acme.caServer, TraefikCertificatesResolver.defaultCAServer)
        XCTAssertEqual(acme.keyType, .rsa4096)
        XCTAssertEqual(acme.certificatesDurationHours, 2160)
        XCTAssertEqual(acme.dnsChallenge?.provider, "route53")
        XCTAssertEqual(config.defaultRuleSyntax, .v3)
    }

    /// The embedded copy must stay the fixture, so the test means the same where /work/shared is absent.
    func testEmbeddedCopyMatchesFixture() throws {
        guard let text = try? String(contentsOfFile: Self.fixturePath, encoding: .utf8) else { throw XCTSkip("fixture not mounted") }
        XCTAssertEqual(text.trimmingCharacters(in: .whitespacesAndNewlines), Self.fixtureCopy)
    }

    func testDefaultsWhenEmpty() {
        let (config, issues) = Self.decode("")
        XCTAssertEqual(issues, [])
        XCTAssertEqual(config, TraefikStaticConfig())
        XCTAssertNil(config.api)
        XCTAssertNil(config.prometheus)
        XCTAssertNil(config.accessLog)
        XCTAssertEqual(config.log.level, "ERROR")
    }

    func testEntryPointOptionsAndCaseInsensitiveKeys() throws {
        let (config, issues) = Self.decode("""
            [core]
            defaultrulesyntax = "v2"
            [entrypoints.Web]
            ADDRESS = "127.0.0.1:8080/tcp"
            asdefault = true
            [entrypoints.Web.http]
            middlewares = ["auth@file"]
            [entrypoints.Web.http.redirections.entryPoint]
            to = ":443"
            permanent = false
            priority = 10
            [entrypoints.Web.forwardedHeaders]
            trustedIPs = ["10.0.0.0/8", "::1"]
            [entrypoints.Web.transport.respondingTimeouts]
            readTimeout = "1m30s"
            writeTimeout = 5
            idleTimeout = "100ms"
            [entrypoints.Web.transport.lifeCycle]
            graceTimeOut = "2s"
            [entrypoints.Web.http2]
            maxConcurrentStreams = 42
            [entrypoints.dns]
            address = ":53/udp"
            udp.timeout = "10s"
            [entrypoints.pp]
            address = ":8443"
            proxyProtocol.trustedIPs = ["10.0.0.0/8"]
            [metrics.prometheus]
            buckets = [0.5, 1.0]
            addRoutersLabels = true
            entryPoint = "metrics"
            manualRouting = true
            """)
        XCTAssertEqual(issues.map(\.path), [])
        XCTAssertEqual(config.entryPoint(named: "dns")?.udpTimeout, .seconds(10))
        XCTAssertEqual(config.entryPoint(named: "pp")?.proxyProtocol, TraefikEntryPointProxyProtocol(trustedIPs: ["10.0.0.0/8"]))
        XCTAssertEqual(config.defaultRuleSyntax, .v2)
        let web = try XCTUnwrap(config.entryPoint(named: "Web"))
        XCTAssertEqual(web.address, HostPort(host: "127.0.0.1", port: 8080, isIPv6: false))
        XCTAssertTrue(web.asDefault)
        XCTAssertEqual(web.middlewares, ["auth@file"])
        XCTAssertEqual(web.redirection, TraefikEntryPointRedirection(to: ":443", scheme: "https", permanent: false, priority: 10))
        XCTAssertEqual(web.forwardedHeaders.trustedIPs, ["10.0.0.0/8", "::1"])
        XCTAssertEqual(web.respondingTimeouts, TraefikRespondingTimeouts(readTimeout: .seconds(90), writeTimeout: .seconds(5), idleTimeout: .milliseconds(100)))
        XCTAssertEqual(web.graceTimeOut, .seconds(2))
        XCTAssertEqual(web.maxConcurrentStreams, 42)
        XCTAssertEqual(config.entryPoint(named: "dns")?.transport, .udp)
        XCTAssertEqual(config.entryPoint(named: "dns")?.maxConcurrentStreams, 250)  // Traefik's default
        let (zero, zeroIssues) = Self.decode("[entryPoints.web]\naddress = \":80\"\n[entryPoints.web.http2]\nmaxConcurrentStreams = 0")
        XCTAssertEqual(zeroIssues.map(\.path), [], "0 is Go's default (250), as Traefik takes it")
        XCTAssertEqual(zero.entryPoint(named: "web")?.maxConcurrentStreams, 0)
        var prometheus = TraefikPrometheus()
        prometheus.buckets = [0.5, 1.0]
        prometheus.addRoutersLabels = true
        prometheus.entryPoint = "metrics"
        prometheus.manualRouting = true
        XCTAssertEqual(config.prometheus, prometheus)
    }

    /// (TOML, expected issue path, severity)
    func testIssues() {
        let cases: [(String, String, ConfigIssue.Severity, UInt)] = [
            ("[entryPoints.web]\naddress = \"localhost:80\"", "entryPoints.web.address", .error, #line),
            ("[entryPoints.web]\naddress = 80", "entryPoints.web.address", .error, #line),
            ("[entryPoints.web]\naddress = \":80\"\n[entryPoints.web.http2]\nmaxConcurrentStreams = -1", "entryPoints.web.http2.maxConcurrentStreams", .error, #line),
            ("[entryPoints.web]\naddress = \":80\"\n[entryPoints.web.http2]\nmaxDecoderHeaderTableSize = 8192", "entryPoints.web.http2.maxDecoderHeaderTableSize", .warning, #line),
            ("[entryPoints.web]\naddress = \":80\"\n[entryPoints.web.proxyProtocol]\ntrustedIPs = [\"10.0.0.0/33\"]", "entryPoints.web.proxyProtocol.trustedIPs[0]", .error, #line),
            ("[entryPoints.dns]\naddress = \":53/udp\"\n[entryPoints.dns.proxyProtocol]\ninsecure = true", "entryPoints.dns.proxyProtocol", .warning, #line),
            ("[entryPoints.dns]\naddress = \":53/udp\"\n[entryPoints.dns.udp]\ntimeout = \"0s\"", "entryPoints.dns.udp.timeout", .error, #line),
            ("[entryPoints.web]\naddress = \":80\"\n[entryPoints.web.transport.respondingTimeouts]\nreadTimeout = \"soon\"", "entryPoints.web.transport.respondingTimeouts.readTimeout", .error, #line),
            ("[entryPoints.web]\naddress = \":80\"\n[entryPoints.web.forwardedHeaders]\ntrustedIPs = [\"10.0.0.0/33\"]", "entryPoints.web.forwardedHeaders.trustedIPs[0]", .error, #line),
            ("[providers.docker]\nconstraints = \"Label(`a`)\"", "providers.docker.constraints", .error, #line),
            ("[providers.docker]\nendpoint = \"tcp://docker:2375\"", "providers.docker.endpoint", .warning, #line),  // resolved at start
            ("[providers.docker]\nexposedByDefault = \"maybe\"", "providers.docker.exposedByDefault", .error, #line),
            ("[entryPoints.web]\naddress = \":80\"\n[entryPoints.web.transport]\nkeepAliveMaxRequests = \"many\"", "entryPoints.web.transport.keepAliveMaxRequests", .error, #line),
            ("[entryPoints.web]\naddress = \":80\"\n[entryPoints.web.transport]\nkeepAliveMaxTime = \"soon\"", "entryPoints.web.transport.keepAliveMaxTime", .error, #line),
            ("[accessLog.filters]\nstatusCodes = [\"5xx\"]", "accessLog.filters.statusCodes", .error, #line),
            ("[accessLog.fields]\ndefaultMode = \"redact\"", "accessLog.fields.defaultMode", .warning, #line),
            ("[accessLog.otlp]", "accessLog.otlp", .error, #line),
            ("[global]\nnotAppendXForwardedFor = true", "global.notAppendXForwardedFor", .error, #line),
            ("[providers.file]\nwatch = true", "providers.file", .error, #line),
            ("[providers.file]\nfilename = \"a\"\ndirectory = \"b\"", "providers.file", .error, #line),
            ("[providers.kubernetesCRD]", "providers.kubernetesCRD", .error, #line),
            ("[log]\nlevel = \"LOUD\"", "log.level", .error, #line),
            ("[accessLog]\nformat = \"xml\"", "accessLog.format", .error, #line),
            ("[metrics.prometheus]\nbuckets = [1.0, 0.5]", "metrics.prometheus.buckets", .error, #line),
            ("[core]\ndefaultRuleSyntax = \"v1\"", "core.defaultRuleSyntax", .error, #line),
            ("[hub]\ntls.insecure = true", "hub", .error, #line),
            ("[tracing]", "tracing", .error, #line),
            ("[ping]\nentrypoint = \"web\"\nterminatingStatusCode = 700", "ping.terminatingStatusCode", .error, #line),
            ("[pilot]\ntoken = \"x\"", "pilot", .error, #line),
            ("[experimental.plugins.x]\nmoduleName = \"y\"", "experimental", .error, #line),
            ("[apii]\ndashboard = true", "apii", .warning, #line),
            ("[api]\ndashbord = true", "api.dashbord", .warning, #line),
            ("[serversTransport.forwardingTimeouts]\ndialTimeout = \"-1s\"", "serversTransport.forwardingTimeouts.dialTimeout", .error, #line),
        ]
        for (text, path, severity, line) in cases {
            let (_, issues) = Self.decode(text)
            XCTAssertEqual(issues.map(\.path), [path], text, line: line)
            XCTAssertEqual(issues.first?.severity, severity, text, line: line)
        }
    }

    func testUnknownKeyListedOnceWithSuggestion() {
        let (_, issues) = Self.decode("[api]\ndashbord = true\n")
        XCTAssertEqual(issues.count, 1)
        XCTAssertEqual(issues.first?.message, "unknown key 'dashbord', ignored (did you mean 'dashboard'?)")
        XCTAssertEqual(issues.first?.description, "traefik.toml:2:12: warning: api.dashbord: unknown key 'dashbord', ignored (did you mean 'dashboard'?)")
    }

    func testStaticServersTransport() {
        let (config, issues) = Self.decode("""
            [serversTransport]
            rootCAs = ["/ca.pem"]
            maxIdleConnsPerHost = 7
            [serversTransport.forwardingTimeouts]
            dialTimeout = "5s"
            responseHeaderTimeout = 60
            idleConnTimeout = "1m"
            """)
        XCTAssertEqual(issues, [])
        XCTAssertEqual(config.serversTransport.rootCAs, ["/ca.pem"])
        XCTAssertEqual(config.serversTransport.maxIdleConnsPerHost, 7)
        XCTAssertEqual(config.serversTransport.forwardingTimeouts,
                       TraefikForwardingTimeouts(dialTimeout: .seconds(5), responseHeaderTimeout: .seconds(60), idleConnTimeout: .seconds(60)))
    }
}
