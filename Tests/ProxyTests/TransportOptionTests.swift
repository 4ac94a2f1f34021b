// Issue 16's transport options in isolation: where a health check's redirect goes (Go's http.Client rules,
// HealthCheckRedirect.swift), when a client connection's keep-alive ends (keep_alive_middleware.go), and how
// a serversTransport becomes a server's settings (transport.go createRoundTripper).
import Config
@testable import Proxy
import Reactor
import XCTest

final class TransportOptionTests: XCTestCase {
    private let server = SocketAddress(host: "127.0.0.1", port: 8080)!

    private func hop(method: String = "GET", hostField: String? = nil) -> HealthProbeHop {
        HealthProbeHop(address: server, authority: "app:8080", pathAndQuery: "/health/check?x=1", method: method, hostField: hostField)
    }

    private func follow(_ h: HealthProbeHop, _ location: String, status: Int = 302) -> HealthProbeHop? {
        try? h.following(location, status: status, serverHost: "app", serverAddress: server).get()
    }

    func testRelativeLocations() {
        XCTAssertEqual(follow(hop(), "/ok")?.pathAndQuery, "/ok")
        XCTAssertEqual(follow(hop(), "ok")?.pathAndQuery, "/health/ok")
        XCTAssertEqual(follow(hop(), "?y=2")?.pathAndQuery, "/health/check?y=2")
        XCTAssertEqual(follow(hop(hostField: "probe.test"), "/ok")?.hostField, "probe.test")
        XCTAssertEqual(follow(hop(), "/ok")?.address.description, server.description)
    }

    func testAbsoluteLocations() {
        let same = follow(hop(hostField: "probe.test"), "http://app:9090/x")
        XCTAssertEqual(same?.address.description, "127.0.0.1:9090")
        XCTAssertEqual(same?.authority, "app:9090")
        XCTAssertNil(same?.hostField)  // the Host is the new URL's
        XCTAssertEqual(follow(hop(), "http://10.1.2.3/")?.address.description, "10.1.2.3:80")
        XCTAssertEqual(follow(hop(), "//10.1.2.3:81")?.pathAndQuery, "/")
        XCTAssertNil(follow(hop(), "https://app/x"))
        XCTAssertNil(follow(hop(), "http://elsewhere.example/x"))
    }

    func testMethodsAndTheTenthRedirect() {
        XCTAssertEqual(follow(hop(method: "POST"), "/x", status: 302)?.method, "GET")
        XCTAssertEqual(follow(hop(method: "HEAD"), "/x", status: 303)?.method, "HEAD")
        XCTAssertEqual(follow(hop(method: "POST"), "/x", status: 307)?.method, "POST")
        var h = hop()
        for _ in 0..<10 { h = follow(h, "/again")! }
        XCTAssertNil(follow(h, "/again"))
    }

    func testKeepAliveLimit() {
        let count = KeepAliveLimit(maxRequests: 3)
        XCTAssertFalse(count.ends(count: 2, start: 0, now: 0))
        XCTAssertTrue(count.ends(count: 3, start: 0, now: 0))
        let time = KeepAliveLimit(maxTime: 1_000)
        XCTAssertFalse(time.ends(count: 50, start: 100, now: 1_100))
        XCTAssertTrue(time.ends(count: 1, start: 100, now: 1_101))
        XCTAssertFalse(KeepAliveLimit().isLimited)
    }

    func testTransportSettings() {
        XCTAssertEqual(UpstreamTransport(nil).maxIdleConns, 200)
        var named = TraefikServersTransport(name: "t@file")
        XCTAssertEqual(UpstreamTransport(named).maxIdleConns, 2)
        named.maxIdleConnsPerHost = -1
        XCTAssertEqual(UpstreamTransport(named).maxIdleConns, 0)
        named.forwardingTimeouts = TraefikForwardingTimeouts(dialTimeout: .zero, idleConnTimeout: .zero, readIdleTimeout: .seconds(2), pingTimeout: .zero)
        let t = UpstreamTransport(named)
        XCTAssertEqual(UpstreamTransport.limit(t.dialTimeout), UInt64.max / 4)
        XCTAssertEqual(t.h2ReadIdleTimeout, 2_000_000_000)
        XCTAssertEqual(t.h2PingTimeout, 15_000_000_000)
    }
}
