// The pure parts of forwardAuth and digestAuth: the auth request's header list in Traefik's three modes,
// Go's canonical header keys, Location resolution, cookie names; go-http-auth's parameter parsing, the
// response check and the nonce counts.
import Config
import HTTP
@testable import HTTPClient
@testable import Proxy
import XCTest

final class AuthMiddlewareTests: XCTestCase {
    func testCanonicalHeaderKeysAsGo() {
        let cases = [("x-auth-user", "X-Auth-User"), ("WWW-AUTHENTICATE", "Www-Authenticate"), ("te", "Te"),
                     ("x_forwarded_for", "X_forwarded_for"), ("bad name", "bad name"), ("-a", "-A")]
        for (name, canonical) in cases { XCTAssertEqual(GoHeaderList.canonical(name), canonical, name) }
        XCTAssertTrue(GoHeaderList.isManagedXHeader("x_forwarded_proto"))
        XCTAssertFalse(GoHeaderList.isManagedXHeader("X-Scheme"))
    }

    private func middleware(_ configure: (inout TraefikForwardAuth) -> Void = { _ in }) -> ForwardAuthMiddleware {
        var config = TraefikForwardAuth(address: "http://127.0.0.1:9091/api/verify?rd=1")
        configure(&config)
        guard case .success(let m) = ForwardAuthMiddleware.make(name: "fa", config: config) else { fatalError("make") }
        return m
    }

    private func fields(_ m: ForwardAuthMiddleware, _ head: String, trusted: Bool = false) -> [String: [String]] {
        let view = TrafficMiddlewareTests.view(head, trusted: trusted)
        let forward = ForwardedRequest(path: "/p", query: "q=1")
        let request = m.authRequest(view, forward, peerIP: "192.0.2.9", tls: false, serverName: "box")
        XCTAssertEqual(request.host, "127.0.0.1:9091")
        XCTAssertEqual(request.target, "/api/verify?rd=1")
        return Dictionary(grouping: request.headers, by: { $0.name.lowercased() }).mapValues { $0.map(\.value) }
    }

    func testAuthRequestHeadersInTheThreeModes() {
        let head = "GET /p?q=1 HTTP/1.1\r\nHost: app.lan:8080\r\nCookie: a=1\r\nX-Forwarded-For: 10.0.0.1\r\n"
            + "X-Forwarded-Uri: /spoofed\r\nConnection: X-Hop\r\nX-Hop: 1\r\nTE: trailers\r\n\r\n"
        // Not configured (oldWriteHeader): X-Forwarded-For is the peer alone; For/Proto/Method/Host/Uri set.
        let legacy = fields(middleware(), head, trusted: true)
        XCTAssertEqual(legacy["x-forwarded-for"], ["192.0.2.9"])
        XCTAssertEqual(legacy["x-forwarded-uri"], ["/p?q=1"])
        XCTAssertEqual(legacy["x-forwarded-host"], ["app.lan:8080"])
        XCTAssertEqual(legacy["x-forwarded-port"], ["8080"])   // the entry point's, copied
        XCTAssertEqual(legacy["x-forwarded-server"], ["box"])
        XCTAssertEqual(legacy["user-agent"], ["Go-http-client/1.1"])
        XCTAssertNil(legacy["x-hop"])
        XCTAssertNil(legacy["te"])
        // true: a trusted client's values kept, X-Forwarded-For appended; no User-Agent of Go's.
        let trusted = fields(middleware { $0.trustForwardHeader = true }, head, trusted: true)
        XCTAssertEqual(trusted["x-forwarded-for"], ["10.0.0.1, 192.0.2.9"])
        XCTAssertEqual(trusted["x-forwarded-uri"], ["/spoofed"])
        XCTAssertNil(trusted["user-agent"])
        // false: every managed X-header dropped first, then set anew.
        let untrusted = fields(middleware { $0.trustForwardHeader = false }, head, trusted: true)
        XCTAssertEqual(untrusted["x-forwarded-for"], ["192.0.2.9"])
        XCTAssertEqual(untrusted["x-forwarded-uri"], ["/p?q=1"])
        XCTAssertNil(untrusted["x-real-ip"])
        // authRequestHeaders filters before the X-Forwarded-* are set.
        let filtered = fields(middleware { $0.authRequestHeaders = ["cookie"] }, head)
        XCTAssertEqual(Set(filtered.keys), ["cookie", "x-forwarded-for", "x-forwarded-proto", "x-forwarded-method",
                                            "x-forwarded-host", "x-forwarded-uri", "user-agent"])
    }

    func testVerdicts() {
        let m = middleware {
            $0.authResponseHeaders = ["X-User"]
            $0.addAuthCookiesToResponse = ["s"]
        }
        var forward = ForwardedRequest(path: "/", query: "")
        let ok = HTTPClientResponseFixture.make(200, [("x-user", "alice"), ("set-cookie", "s=1; Path=/"), ("set-cookie", "t=2")])
        XCTAssertNil(m.verdict(.success(ok), &forward))
        XCTAssertEqual(forward.addHeaders.map { "\($0.name): \($0.value)" }, ["X-User: alice"])
        XCTAssertTrue(forward.removeHeaders.contains("x-user"))
        XCTAssertEqual(forward.authCookies?.fields(replacing: ["s=old", "k=1"]).map(\.value), ["k=1", "s=1; Path=/"])
        let deny = HTTPClientResponseFixture.make(302, [("location", "../login"), ("content-length", "0"), ("connection", "close")])
        let answer = m.verdict(.success(deny), &forward)
        XCTAssertEqual(answer?.status, 302)
        XCTAssertEqual(answer?.fields.map(\.name), ["Location"])
        XCTAssertEqual(answer?.fields.first?.value, "http://127.0.0.1:9091/api/../login")
        XCTAssertEqual(m.resolved("/x"), "http://127.0.0.1:9091/x")
        XCTAssertEqual(m.resolved("//other/x"), "http:" + "//other/x")
        XCTAssertEqual(m.resolved("https://login/"), "https://login/")
        XCTAssertEqual(AuthCookies.name(of: " s = 1; Path=/"), "s")
        XCTAssertNil(AuthCookies.name(of: "novalue"))
    }

    func testDigestParametersAsGoHTTPAuth() {
        let p = DigestAuthMiddleware.params(#"Digest username="a, b", realm="r", nc=00000001, qop=auth, uri="/x?y=1", opaque="o\"q""#)
        XCTAssertEqual(p?["username"], "a, b")
        XCTAssertEqual(p?["nc"], "00000001")
        XCTAssertEqual(p?["uri"], "/x?y=1")
        XCTAssertEqual(p?["opaque"], #"o"q"#)
        XCTAssertNil(DigestAuthMiddleware.params("digest username=a"))  // the scheme's case matters
        XCTAssertNil(DigestAuthMiddleware.params("Basic YTpi"))
        XCTAssertEqual(DigestAuthMiddleware.h("test:traefik:test"), "a2688e031edb4be6a3797f3882655c05")
    }

    func testDigestNonceCounts() {
        var nonces = DigestNonces()
        XCTAssertEqual(nonces.use("n", count: 1), .unknown)
        nonces.issue("n")
        XCTAssertEqual(nonces.use("n", count: 5), .fresh)
        XCTAssertEqual(nonces.use("n", count: 5), .replayed)
        XCTAssertEqual(nonces.use("n", count: 3), .outOfOrder)
        XCTAssertEqual(nonces.use("n", count: 6), .fresh)
        for i in 0..<3000 { nonces.issue("k\(i)") }
        XCTAssertLessThanOrEqual(nonces.count, DigestNonces.size + DigestNonces.tolerance + 1)
    }

    func testDigestCheckAsGoHTTPAuth() throws {
        var config = TraefikDigestAuth()
        config.users = ["test:traefik:a2688e031edb4be6a3797f3882655c05"]
        guard case .success(let m) = DigestAuthMiddleware.make(name: "d", config: config) else { return XCTFail("make") }
        var forward = ForwardedRequest(path: "/x", query: "")
        let challenge = try XCTUnwrap(m.handle(TrafficMiddlewareTests.view("GET /x HTTP/1.1\r\nHost: a\r\n\r\n"), &forward, scheme: "http"))
        let value = try XCTUnwrap(challenge.fields.first { $0.name == "Www-Authenticate" }?.value)
        let nonce = try XCTUnwrap(DigestAuthMiddleware.params(value)?["nonce"])
        func authorization(nc: String, uri: String = "/x", opaque: String? = nil) -> String {
            let ha2 = DigestAuthMiddleware.h("GET:\(uri)")
            let response = DigestAuthMiddleware.h("a2688e031edb4be6a3797f3882655c05:\(nonce):\(nc):c:auth:\(ha2)")
            return #"Digest username="test", nonce="\#(nonce)", uri="\#(uri)", qop=auth, nc=\#(nc), cnonce="c", response="\#(response)", opaque="\#(opaque ?? m.opaque)""#
        }
        func check(_ auth: String, target: String = "/x") -> DigestAuthMiddleware.Outcome {
            m.check(TrafficMiddlewareTests.view("GET \(target) HTTP/1.1\r\nHost: a\r\nAuthorization: \(auth)\r\n\r\n"))
        }
        XCTAssertEqual(check(authorization(nc: "1", opaque: "other")), .refused)
        XCTAssertEqual(check(authorization(nc: "+1")), .refused)
        XCTAssertEqual(check(authorization(nc: "1")), .authenticated("test"))
        XCTAssertEqual(check(authorization(nc: "1")), .refused)
        XCTAssertEqual(check(authorization(nc: "0")), .stale)  // below the last count: out of order
    }
}

/// HTTPClientResponse has no public initialiser; the tests build one through its memberwise form.
enum HTTPClientResponseFixture {
    static func make(_ status: Int, _ fields: [(String, String)]) -> HTTPClientResponse {
        HTTPClientResponse(status: status, fields: fields.map { (name: $0.0, value: $0.1) }, body: [])
    }
}
