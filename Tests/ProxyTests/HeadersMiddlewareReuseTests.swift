// The headers middleware's per-request shortcuts (issue 18): the custom request headers made once, and the
// last response headers reused for the same TLS and Origin. Every answer must equal what a fresh middleware
// (no shortcut taken yet) gives for the same request.
import Config
import HTTP
@testable import Proxy
import XCTest

final class HeadersMiddlewareReuseTests: XCTestCase {
    private func middleware(_ configure: (inout TraefikHeaders) -> Void) -> HeadersMiddleware {
        var c = TraefikHeaders()
        configure(&c)
        guard case .success(let m) = HeadersMiddleware.make(name: "h", config: c) else { fatalError("headers") }
        return m
    }

    private func run(_ m: HeadersMiddleware, _ head: String, scheme: String = "http",
                     before: [(name: String, value: String)] = []) -> ForwardedRequest {
        var f = ForwardedRequest(path: "/", query: "")
        f.setHeaders = before
        f.responseHeaders = before
        XCTAssertNil(m.handle(TrafficMiddlewareTests.view(head), &f, scheme: scheme))
        return f
    }

    private func text(_ fields: [(name: String, value: String)]) -> [String] { fields.map { "\($0.name): \($0.value)" } }

    func testRepeatedRequestsGetWhatAFreshMiddlewareGives() {
        let configure: (inout TraefikHeaders) -> Void = { c in
            c.customRequestHeaders = [TraefikKeyValue(key: "X-Forwarded-Proto", value: "https"), TraefikKeyValue(key: "X-Drop", value: "")]
            c.customResponseHeaders = [TraefikKeyValue(key: "X-Served", value: "1")]
            c.accessControlAllowOriginList = ["*"]
            c.accessControlAllowCredentials = true  // the origin is echoed: the answer depends on it
            c.stsSeconds = 60  // only over TLS
        }
        let kept = middleware(configure)
        let requests: [(String, String)] = [
            ("GET / HTTP/1.1\r\nHost: a\r\nOrigin: http://one.lan\r\n\r\n", "http"),
            ("GET / HTTP/1.1\r\nHost: a\r\nOrigin: http://one.lan\r\n\r\n", "http"),
            ("GET / HTTP/1.1\r\nHost: a\r\nOrigin: http://one.lan\r\n\r\n", "https"),
            ("GET / HTTP/1.1\r\nHost: a\r\nOrigin: http://two.lan\r\n\r\n", "https"),
            ("GET / HTTP/1.1\r\nHost: a\r\n\r\n", "https"),
            ("GET / HTTP/1.1\r\nHost: a\r\nOrigin:\r\n\r\n", "https"),
            ("GET / HTTP/1.1\r\nHost: a\r\nOrigin: http://two.lan\r\nOrigin: http://one.lan\r\n\r\n", "https"),
            ("GET / HTTP/1.1\r\nHost: a\r\nOrigin: http://two.lan\r\n\r\n", "http"),
        ]
        for (head, scheme) in requests {
            for before in [[], [(name: "x-forwarded-proto", value: "http"), (name: "X-Other", value: "1")]] {
                let got = run(kept, head, scheme: scheme, before: before)
                let want = run(middleware(configure), head, scheme: scheme, before: before)
                XCTAssertEqual(text(got.setHeaders), text(want.setHeaders), head)
                XCTAssertEqual(got.removeHeaders, want.removeHeaders, head)
                XCTAssertEqual(text(got.responseHeaders), text(want.responseHeaders), head)
            }
        }
        let two = run(kept, requests[3].0, scheme: "https")
        XCTAssertTrue(text(two.responseHeaders).contains("Access-Control-Allow-Origin: http://two.lan"))
        XCTAssertTrue(text(two.responseHeaders).contains("Strict-Transport-Security: max-age=60"))
        XCTAssertEqual(text(two.setHeaders), ["X-Forwarded-Proto: https"])
        XCTAssertEqual(two.removeHeaders, ["x-drop"])
    }

    func testRequestDependentSecureHeadersAreNotReused() {
        // allowedHosts decides per request: a refused host after an allowed one is still refused.
        let m = middleware { $0.allowedHosts = ["a"]; $0.frameDeny = true }
        _ = run(m, "GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        var f = ForwardedRequest(path: "/", query: "")
        XCTAssertEqual(m.handle(TrafficMiddlewareTests.view("GET / HTTP/1.1\r\nHost: b\r\n\r\n"), &f, scheme: "http")?.status, 500)
    }
}
