import XCTest
@testable import Config

final class TraefikMiddlewareTests: XCTestCase {
    func testEveryMiddlewareType() throws {
        let (config, issues) = TraefikDynamicConfigTests.decode(#"""
            [http.middlewares.auth.basicAuth]
            users = ["inethi:$apr1$Qh1p4C9G$S6u8S7khMfm7JQVOq0YKv.", "b:{SHA}x"]
            usersFile = "/etc/users"
            realm = "lan"
            removeHeader = true
            headerField = "X-User"
            [http.middlewares.authdefaults.basicAuth]
            users = "inethi:$apr1$Qh1p4C9G$S6u8S7khMfm7JQVOq0YKv."
            [http.middlewares.hdr.headers]
            customRequestHeaders = { X-Forwarded-Proto = "https", X-Drop = "" }
            customResponseHeaders = { Server = "" }
            accessControlAllowOriginList = ["*"]
            accessControlAllowOriginListRegex = ["^https://.*\\.lan$"]
            accessControlAllowMethods = ["GET", "POST"]
            accessControlAllowHeaders = ["Content-Type"]
            accessControlAllowCredentials = true
            accessControlExposeHeaders = ["X-Id"]
            accessControlMaxAge = 100
            addVaryHeader = true
            stsSeconds = 31536000
            stsIncludeSubdomains = true
            stsPreload = true
            forceSTSHeader = true
            frameDeny = true
            customFrameOptionsValue = "SAMEORIGIN"
            contentTypeNosniff = true
            browserXssFilter = true
            referrerPolicy = "no-referrer"
            contentSecurityPolicy = "default-src 'self'"
            permissionsPolicy = "camera=()"
            hostsProxyHeaders = ["X-Forwarded-Host"]
            allowedHosts = ["a.lan"]
            [http.middlewares.strip.stripPrefix]
            prefixes = ["/api", "/v1"]
            forceSlash = true
            [http.middlewares.stripre.stripPrefixRegex]
            regex = ["/user/[a-z]+"]
            [http.middlewares.add.addPrefix]
            prefix = "/app"
            [http.middlewares.https.redirectScheme]
            scheme = "https"
            port = 8443
            permanent = true
            [http.middlewares.rr.redirectRegex]
            regex = "^http://old/(.*)"
            replacement = "http://new/${1}"
            [http.middlewares.lan.ipAllowList]
            sourceRange = ["10.0.0.0/8", "192.168.1.7", "fd00::/8"]
            rejectStatusCode = 404
            [http.middlewares.lan.ipAllowList.ipStrategy]
            depth = 2
            excludedIPs = ["10.0.0.1"]
            ipv6Subnet = 64
            [http.middlewares.both.chain]
            middlewares = ["auth", "hdr@docker"]
            """#)
        XCTAssertEqual(issues, [])
        func kind(_ name: String) -> TraefikMiddleware.Kind? { config.httpMiddlewares[name]?.kind }

        XCTAssertEqual(kind("auth@file"), .basicAuth(TraefikBasicAuth(users: ["inethi:$apr1$Qh1p4C9G$S6u8S7khMfm7JQVOq0YKv.", "b:{SHA}x"], usersFile: "/etc/users",
                                                                      realm: "lan", removeHeader: true, headerField: "X-User")))
        XCTAssertEqual(kind("authdefaults@file"), .basicAuth(TraefikBasicAuth(users: ["inethi:$apr1$Qh1p4C9G$S6u8S7khMfm7JQVOq0YKv."], realm: "traefik")))

        var headers = TraefikHeaders()
        headers.customRequestHeaders = [TraefikKeyValue(key: "X-Forwarded-Proto", value: "https"), TraefikKeyValue(key: "X-Drop", value: "")]
        headers.customResponseHeaders = [TraefikKeyValue(key: "Server", value: "")]
        headers.accessControlAllowOriginList = ["*"]
        headers.accessControlAllowOriginListRegex = [#"^https://.*\.lan$"#]
        headers.accessControlAllowMethods = ["GET", "POST"]
        headers.accessControlAllowHeaders = ["Content-Type"]
        headers.accessControlAllowCredentials = true
        headers.accessControlExposeHeaders = ["X-Id"]
        headers.accessControlMaxAge = 100
        headers.addVaryHeader = true
        headers.stsSeconds = 31_536_000
        headers.stsIncludeSubdomains = true
        headers.stsPreload = true
        headers.forceSTSHeader = true
        headers.frameDeny = true
        headers.customFrameOptionsValue = "SAMEORIGIN"
        headers.contentTypeNosniff = true
        headers.browserXssFilter = true
        headers.referrerPolicy = "no-referrer"
        headers.contentSecurityPolicy = "default-src 'self'"
        headers.permissionsPolicy = "camera=()"
        headers.hostsProxyHeaders = ["X-Forwarded-Host"]
        headers.allowedHosts = ["a.lan"]
        XCTAssertEqual(kind("hdr@file"), .headers(headers))

        XCTAssertEqual(kind("strip@file"), .stripPrefix(prefixes: ["/api", "/v1"], forceSlash: true))
        XCTAssertEqual(kind("stripre@file"), .stripPrefixRegex(regex: ["/user/[a-z]+"]))
        XCTAssertEqual(kind("add@file"), .addPrefix("/app"))
        XCTAssertEqual(kind("https@file"), .redirectScheme(TraefikRedirectScheme(scheme: "https", port: "8443", permanent: true)))
        XCTAssertEqual(kind("rr@file"), .redirectRegex(TraefikRedirectRegex(regex: "^http://old/(.*)", replacement: "http://new/${1}", permanent: false)))
        XCTAssertEqual(kind("lan@file"), .ipAllowList(TraefikIPAllowList(sourceRange: ["10.0.0.0/8", "192.168.1.7", "fd00::/8"],
                                                                         ipStrategy: TraefikIPStrategy(depth: 2, excludedIPs: ["10.0.0.1"], ipv6Subnet: 64),
                                                                         rejectStatusCode: 404)))
        XCTAssertEqual(kind("both@file"), .chain(["auth@file", "hdr@docker"]))
        XCTAssertEqual(config.httpMiddlewares["both@file"]?.name, "both@file")
    }

    func testDefaults() {
        let (config, issues) = TraefikDynamicConfigTests.decode("""
            [http.middlewares.s.stripPrefix]
            prefixes = ["/a"]
            [http.middlewares.r.redirectScheme]
            scheme = "https"
            [http.middlewares.l.ipAllowList]
            sourceRange = ["127.0.0.1/32"]
            [http.middlewares.h.headers]
            """)
        XCTAssertEqual(issues, [])
        XCTAssertEqual(config.httpMiddlewares["s@file"]?.kind, .stripPrefix(prefixes: ["/a"], forceSlash: false))  // v3 default
        XCTAssertEqual(config.httpMiddlewares["r@file"]?.kind, .redirectScheme(TraefikRedirectScheme(scheme: "https", port: nil, permanent: false)))
        XCTAssertEqual(config.httpMiddlewares["l@file"]?.kind, .ipAllowList(TraefikIPAllowList(sourceRange: ["127.0.0.1/32"], ipStrategy: nil, rejectStatusCode: 403)))
        XCTAssertEqual(config.httpMiddlewares["h@file"]?.kind, .headers(TraefikHeaders()))
    }

    func testV2IPWhiteListAccepted() {
        let (config, issues) = TraefikDynamicConfigTests.decode("""
            [http.middlewares.old.ipWhiteList]
            sourceRange = ["10.0.0.0/8"]
            ipStrategy.depth = 1
            [http.middlewares.lower.ipwhitelist]
            sourcerange = "192.168.0.0/16, 10.1.0.0/16"
            """, provider: "docker")
        XCTAssertEqual(config.httpMiddlewares["old@docker"]?.kind, .ipAllowList(TraefikIPAllowList(sourceRange: ["10.0.0.0/8"], ipStrategy: TraefikIPStrategy(depth: 1))))
        XCTAssertEqual(config.httpMiddlewares["lower@docker"]?.kind, .ipAllowList(TraefikIPAllowList(sourceRange: ["192.168.0.0/16", "10.1.0.0/16"])))
        XCTAssertEqual(issues.map(\.severity), [.warning, .warning])
        XCTAssertEqual(issues.map(\.path), ["http.middlewares.old.ipWhiteList", "http.middlewares.lower.ipwhitelist"])
    }

    func testV2HeaderKeysRemovedInV3() {
        let (config, issues) = TraefikDynamicConfigTests.decode("""
            [http.middlewares.h.headers]
            sslRedirect = true
            featurePolicy = "x"
            frameDeny = true
            """)
        var expected = TraefikHeaders()
        expected.frameDeny = true
        XCTAssertEqual(config.httpMiddlewares["h@file"]?.kind, .headers(expected))
        XCTAssertEqual(issues.map(\.path), ["http.middlewares.h.headers.sslRedirect", "http.middlewares.h.headers.featurePolicy"])
        XCTAssertTrue(issues.allSatisfy { $0.severity == .warning && $0.message.hasPrefix("removed in Traefik v3") })
    }

    /// (middleware body, kept?, severity of its single issue, issue path suffix)
    func testUnsupportedAndInvalid() {
        let cases: [(String, Bool, ConfigIssue.Severity, String, UInt)] = [
            ("forwardAuth.trustForwardHeader = true", false, .error, "forwardAuth.address", #line),
            ("forwardAuth.address = \"ftp://auth\"", false, .error, "forwardAuth.address", #line),
            ("forwardAuth.address = \"http://auth\"\nforwardAuth.forwardBody = true", false, .error, "forwardAuth.forwardBody", #line),
            ("forwardAuth.address = \"https://auth\"\nforwardAuth.tls.cert = \"/c.pem\"", false, .error, "forwardAuth.tls", #line),
            ("forwardAuth.address = \"https://auth\"\nforwardAuth.tls.ca = \"-----BEGIN CERTIFICATE-----\"", false, .error,
             "forwardAuth.tls.ca", #line),
            ("forwardAuth.address = \"https://auth\"\nforwardAuth.tls.caOptional = true", true, .warning, "forwardAuth.tls.caOptional", #line),
            ("digestAuth.users = [\"a:b\"]", false, .error, "digestAuth.users[0]", #line),
            ("digestAuth.realm = \"x\"", false, .error, "digestAuth.users", #line),
            ("rateLimit.redis.endpoints = [\"r:6379\"]", false, .error, "rateLimit.redis", #line),
            ("rateLimit.sourceCriterion.requestHost = true\nrateLimit.sourceCriterion.requestHeaderName = \"X\"", false, .error,
             "rateLimit.sourceCriterion", #line),
            ("rateLimit.sourceCriterion.ipStrategy.ipv6Subnet = 200", false, .error, "rateLimit.sourceCriterion.ipStrategy.ipv6Subnet", #line),
            ("rateLimit.sourceCriterion.ipStrategy.excludedIPs = [\"x\"]", false, .error, "rateLimit.sourceCriterion.ipStrategy.excludedIPs[0]", #line),
            ("inFlightReq.amount = 0", false, .error, "inFlightReq.amount", #line),
            ("retry.attempts = 0", false, .error, "retry.attempts", #line),
            ("retry.attempts = 3\nretry.status = [\"500\"]", false, .error, "retry.status", #line),
            ("contentType.autoDetect = false", true, .warning, "contentType.autoDetect", #line),
            ("buffering.maxRequestBodyBytes = 100\nbuffering.maxResponseBodyBytes = 10", false, .error, "buffering.maxResponseBodyBytes", #line),
            ("buffering.maxRequestBodyBytes = 100\nbuffering.retryExpression = \"IsNetworkError() && Attempts() < 2\"", false, .error,
             "buffering.retryExpression", #line),
            ("buffering.memRequestBodyBytes = 10", false, .error, "buffering.maxRequestBodyBytes", #line),
            ("buffering.maxRequestBodyBytes = 0", false, .error, "buffering.maxRequestBodyBytes", #line),
            ("errors.status = [\"500\"]", false, .error, "errors.service", #line),
            ("errors.status = [\"5xx\"]\nerrors.service = \"s\"", false, .error, "errors.status[0]", #line),
            ("plugin.x.y = 1", false, .error, "plugin", #line),
            ("compress.encodings = [\"deflate\"]", false, .error, "compress.encodings[0]", #line),
            ("compress.encodings = []", false, .error, "compress.encodings", #line),
            ("compress.defaultEncoding = \"zstd\"\ncompress.encodings = [\"gzip\"]", false, .error, "compress.defaultEncoding", #line),
            ("compress.excludedContentTypes = [\"a/b\"]\ncompress.includedContentTypes = [\"c/d\"]", false, .error, "compress.includedContentTypes", #line),
            ("compress.excludedContentTypes = [\"text/\"]", false, .error, "compress.excludedContentTypes[0]", #line),
            ("compress.level = 3", true, .warning, "compress.level", #line),
            ("circuitBreaker.expression = \"x\"", false, .error, "circuitBreaker.expression", #line),
            ("circuitBreaker.expression = \"NetworkErrorRatio() > 1\"", false, .error, "circuitBreaker.expression", #line),
            ("circuitBreaker.expression = \"NetworkErrorRatio() > 0.5\"\ncircuitBreaker.responseCode = 42", false, .error, "circuitBreaker.responseCode", #line),
            ("bogus.x = 1", false, .error, "bogus", #line),
            ("stripPrefix.prefixes = [\"/a\"]\naddPrefix.prefix = \"/b\"", false, .error, "m", #line),
            ("basicAuth.users = [\"nocolon\"]", false, .error, "basicAuth.users[0]", #line),
            ("basicAuth.realm = \"x\"", false, .error, "basicAuth.users", #line),
            ("redirectScheme.permanent = true", false, .error, "redirectScheme.scheme", #line),
            ("redirectRegex.regex = \"x\"", false, .error, "redirectRegex.replacement", #line),
            ("addPrefix.prefix = \"\"", false, .error, "addPrefix.prefix", #line),
            ("ipAllowList.sourceRange = []", false, .error, "ipAllowList.sourceRange", #line),
            ("ipAllowList.sourceRange = [\"10.0.0.300\"]", false, .error, "ipAllowList.sourceRange[0]", #line),
            ("ipAllowList.sourceRange = [\"10.0.0.0/8\"]\nipAllowList.rejectStatusCode = 99", false, .error, "ipAllowList.rejectStatusCode", #line),
            ("headers.stsSeconds = \"long\"", false, .error, "headers.stsSeconds", #line),
            ("headers.frameDeny = \"yes\"", false, .error, "headers.frameDeny", #line),
            ("headers.customRequestHeaders = { X = 1.5 }", false, .error, "headers.customRequestHeaders.X", #line),
            ("stripPrefix.prefix = \"/a\"", true, .warning, "stripPrefix.prefix", #line),
        ]
        for (body, kept, severity, suffix, line) in cases {
            let (config, issues) = TraefikDynamicConfigTests.decode("[http.middlewares.m]\n" + body + "\n[http.middlewares.ok.addPrefix]\nprefix = \"/ok\"\n")
            XCTAssertEqual(config.httpMiddlewares["m@file"] != nil, kept, body, line: line)
            XCTAssertNotNil(config.httpMiddlewares["ok@file"], body, line: line)
            XCTAssertEqual(issues.map(\.severity), [severity], "\(body): \(issues)", line: line)
            XCTAssertEqual(issues.first?.path, suffix == "m" ? "http.middlewares.m" : "http.middlewares.m." + suffix, body, line: line)
        }
    }

    func testAuthMiddlewaresDecodeAsTraefik() {
        let (config, issues) = TraefikDynamicConfigTests.decode(#"""
            [http.middlewares.fa.forwardAuth]
            address = "https://auth.lan:9091/api/verify?rd=x"
            trustForwardHeader = false
            authResponseHeaders = ["Remote-User", "Remote-Groups"]
            authResponseHeadersRegex = "^X-"
            authRequestHeaders = ["Cookie"]
            addAuthCookiesToResponse = ["session"]
            maxResponseBodySize = 1024
            headerField = "Remote-User"
            preserveLocationHeader = true
            preserveRequestMethod = true
            authSigninURL = "https://login.lan/"
            maxBodySize = -1
            [http.middlewares.fa.forwardAuth.tls]
            ca = "/ca.pem"
            cert = "/c.pem"
            key = "/k.pem"
            insecureSkipVerify = true
            [http.middlewares.dg.digestAuth]
            users = ["test:traefik:a2688e031edb4be6a3797f3882655c05"]
            usersFile = "/etc/digest"
            realm = ""
            removeHeader = true
            headerField = "X-User"
            """#)
        XCTAssertEqual(issues, [])
        var fa = TraefikForwardAuth(address: "https://auth.lan:9091/api/verify?rd=x")
        fa.trustForwardHeader = false
        fa.authResponseHeaders = ["Remote-User", "Remote-Groups"]
        fa.authResponseHeadersRegex = "^X-"
        fa.authRequestHeaders = ["Cookie"]
        fa.addAuthCookiesToResponse = ["session"]
        fa.maxResponseBodySize = 1024
        fa.headerField = "Remote-User"
        fa.preserveLocationHeader = true
        fa.preserveRequestMethod = true
        fa.authSigninURL = "https://login.lan/"
        var tls = TraefikClientTLS()
        tls.ca = "/ca.pem"
        tls.cert = "/c.pem"
        tls.key = "/k.pem"
        tls.insecureSkipVerify = true
        fa.tls = tls
        XCTAssertEqual(config.httpMiddlewares["fa@file"]?.kind, .forwardAuth(fa))
        var dg = TraefikDigestAuth()
        dg.users = ["test:traefik:a2688e031edb4be6a3797f3882655c05"]
        dg.usersFile = "/etc/digest"
        dg.removeHeader = true
        dg.headerField = "X-User"
        XCTAssertEqual(config.httpMiddlewares["dg@file"]?.kind, .digestAuth(dg))  // an empty realm keeps "traefik"
    }

    /// compress with Traefik's defaults: all three encodings in Traefik's order, 1024 bytes (also for 0
    /// and negative values, as compress.New takes only a positive one).
    func testCompressDefaults() {
        let cases: [(String, TraefikCompress, UInt)] = [
            ("", TraefikCompress(), #line),
            ("minResponseBodyBytes = 0", TraefikCompress(), #line),
            ("minResponseBodyBytes = -5", TraefikCompress(), #line),
            ("minResponseBodyBytes = 10\nencodings = [\"br\"]\ndefaultEncoding = \"br\"",
             TraefikCompress(encodings: ["br"], defaultEncoding: "br", minResponseBodyBytes: 10), #line),
            ("includedContentTypes = [\"text/html; charset=utf-8\"]", TraefikCompress(includedContentTypes: ["text/html; charset=utf-8"]), #line),
        ]
        for (body, expected, line) in cases {
            let (config, issues) = TraefikDynamicConfigTests.decode("[http.middlewares.c.compress]\n" + body + "\n")
            XCTAssertEqual(issues, [], body, line: line)
            XCTAssertEqual(config.httpMiddlewares["c@file"]?.kind, .compress(expected), body, line: line)
        }
    }

    func testTrafficMiddlewares() {
        let (config, issues) = TraefikDynamicConfigTests.decode("""
            [http.middlewares.rl.rateLimit]
            average = 100
            period = "1m"
            burst = 0
            sourceCriterion.ipStrategy = { depth = 2, ipv6Subnet = 64 }
            [http.middlewares.rldefault.rateLimit]
            [http.middlewares.rlnegative.rateLimit]
            average = -5
            burst = -3
            [http.middlewares.ifr.inFlightReq]
            amount = 5
            [http.middlewares.ifrheader.inFlightReq]
            amount = 5
            sourceCriterion.requestHeaderName = "X-User"
            [http.middlewares.retry.retry]
            attempts = 4
            initialInterval = "100ms"
            [http.middlewares.rp.replacePath]
            path = "/x"
            [http.middlewares.rpr.replacePathRegex]
            regex = " ^/a/(.*) "
            replacement = "/b/$1"
            [http.middlewares.ct.contentType]
            """)
        XCTAssertEqual(issues, [])
        XCTAssertEqual(config.httpMiddlewares["rl@file"]?.kind, .rateLimit(TraefikRateLimit(
            average: 100, period: .seconds(60), burst: 1, source: .ip(TraefikIPStrategy(depth: 2, ipv6Subnet: 64)))))
        XCTAssertEqual(config.httpMiddlewares["rldefault@file"]?.kind, .rateLimit(TraefikRateLimit()))
        XCTAssertEqual(config.httpMiddlewares["rlnegative@file"]?.kind, .rateLimit(TraefikRateLimit()))
        XCTAssertEqual(config.httpMiddlewares["ifr@file"]?.kind, .inFlightReq(TraefikInFlightReq(amount: 5, source: .requestHost)))
        XCTAssertEqual(config.httpMiddlewares["ifrheader@file"]?.kind, .inFlightReq(TraefikInFlightReq(amount: 5, source: .requestHeader("X-User"))))
        XCTAssertEqual(config.httpMiddlewares["retry@file"]?.kind, .retry(TraefikRetry(attempts: 4, initialInterval: .milliseconds(100))))
        XCTAssertEqual(config.httpMiddlewares["rp@file"]?.kind, .replacePath("/x"))
        XCTAssertEqual(config.httpMiddlewares["rpr@file"]?.kind, .replacePathRegex(regex: "^/a/(.*)", replacement: "/b/$1"))
        XCTAssertEqual(config.httpMiddlewares["ct@file"]?.kind, .contentType(autoDetect: nil))
    }

    /// Docker labels are strings: the same decoding must read them (iNethi configures with labels).
    func testTrafficMiddlewaresFromLabelText() {
        let (config, issues) = TraefikDynamicConfigTests.decode("""
            [http.middlewares.rl.ratelimit]
            average = "10"
            burst = "20"
            period = "2s"
            sourcecriterion.requesthost = "true"
            [http.middlewares.ifr.inflightreq]
            amount = "3"
            sourcecriterion.ipstrategy.excludedips = "10.0.0.0/8, 192.168.0.1"
            [http.middlewares.retry.retry]
            attempts = "2"
            """, provider: "docker")
        XCTAssertEqual(issues, [])
        XCTAssertEqual(config.httpMiddlewares["rl@docker"]?.kind, .rateLimit(TraefikRateLimit(average: 10, period: .seconds(2), burst: 20, source: .requestHost)))
        XCTAssertEqual(config.httpMiddlewares["ifr@docker"]?.kind, .inFlightReq(TraefikInFlightReq(
            amount: 3, source: .ip(TraefikIPStrategy(excludedIPs: ["10.0.0.0/8", "192.168.0.1"])))))
        XCTAssertEqual(config.httpMiddlewares["retry@docker"]?.kind, .retry(TraefikRetry(attempts: 2)))
    }
}
