// The pure parts of service selection: Traefik's earliest-deadline-first order, and the sticky cookie's
// name, value and Set-Cookie text as Traefik 3.7 derives them (values checked against Traefik's own
// answers in tests/integration/test_sticky_services.py).
import Config
@testable import Proxy
import Reactor
import XCTest

final class ServiceSelectionTests: XCTestCase {
    func testEarliestDeadlineOrder() {
        let cases: [(weights: [Int], picks: [Int])] = [
            ([1, 1, 1], [0, 1, 2, 0, 1, 2]),
            ([3, 1], [0, 0, 0, 1, 0, 0, 0, 1]),   // deadlines 1/3, 2/3, 1 (tie: first declared), 1
            ([3, 2], [0, 1, 0, 0, 1]),
            ([0, 2], [1, 1, 1]),                  // weight 0: never picked (Traefik does not add it)
        ]
        for c in cases {
            var s = EarliestDeadlineSchedule(weights: c.weights)
            XCTAssertEqual((0..<c.picks.count).map { _ in s.next { _ in true } }, c.picks.map { $0 }, "\(c.weights)")
        }
    }

    func testDownEntriesAreSkippedAndNothingUpIsNil() {
        var s = EarliestDeadlineSchedule(weights: [1, 1, 1])
        XCTAssertEqual((0..<4).map { _ in s.next { $0 != 1 } }, [0, 2, 0, 2])
        XCTAssertNil(s.next { _ in false })
        var zero = EarliestDeadlineSchedule(weights: [0])
        XCTAssertNil(zero.next { _ in true })
    }

    func testCookieValueAndName() {
        // sha256("one")[:16]; Traefik's answer for a weighted child written "one".
        XCTAssertEqual(StickyCookie.value(for: "one"), "7692c3ad3540bb80")
        XCTAssertEqual(StickyCookie.fnv64(""), "cbf29ce484222325")
        XCTAssertEqual(StickyCookie.sanitizedName("my cookie;"), "my_cookie_")
        XCTAssertEqual(StickyCookie.defaultName(service: "app@file").count, 6)
        XCTAssertTrue(StickyCookie.defaultName(service: "app@file").hasPrefix("_"))
    }

    func testSetCookieAttributesInGoOrder() {
        let c = StickyCookie(TraefikStickyCookie(name: "s", secure: true, httpOnly: true, sameSite: "LAX", maxAge: 60, path: "/app", domain: ".x.test"),
                             service: "svc@file")
        XCTAssertEqual(c.setCookie("v"), "s=v; Path=/app; Domain=x.test; Max-Age=60; HttpOnly; Secure; SameSite=Lax")
        let plain = StickyCookie(TraefikStickyCookie(maxAge: -1), service: "svc@file")
        XCTAssertEqual(plain.setCookie("v"), "\(plain.name)=v; Path=/; Max-Age=0")
        XCTAssertEqual(c.value(in: ["a=1; s=\"v2\" ", "s=v3"]), "v2")
        XCTAssertNil(c.value(in: ["ss=1"]))
    }

    private func server(_ port: UInt16, weight: Int = 1) -> UpstreamServer {
        UpstreamServer(url: "http://127.0.0.1:\(port)", hostHeader: "127.0.0.1:\(port)", address: SocketAddress(host: "127.0.0.1", port: port)!, weight: weight)
    }

    func testMirrorPercentAccountingAsMirrorGo() {
        let main = HTTPService(name: "main", servers: [server(1)], passHostHeader: true)
        let half = HTTPService(name: "half", servers: [server(2)], passHostHeader: true)
        let third = HTTPService(name: "third", servers: [server(3)], passHostHeader: true)
        let m = HTTPService.Mirroring(service: main, mirrors: [(half, 50), (third, 33)], mirrorBody: true, maxBodySize: -1)
        let picks = (0..<6).map { _ in m.activeMirrors().map(\.name) }
        // count × 100 < total × percent: half on requests 1, 3, 5; third on 1 (0 < 33) and 4 (100 < 132).
        XCTAssertEqual(picks, [["half", "third"], [], ["half"], ["third"], ["half"], []])
    }

    func testFailoverFollowsTheServiceHealth() {
        let main = HTTPService(name: "main", servers: [server(1)], passHostHeader: true)
        let spare = HTTPService(name: "spare", servers: [server(2)], passHostHeader: true)
        let f = HTTPService(name: "f", failover: .init(service: main, fallback: spare, fallbackFollowsHealth: true), healthCheck: true)
        XCTAssertEqual(f.pick(now: 0)?.server.url, "http://127.0.0.1:1")
        main.servers[0].activeDown = true
        XCTAssertEqual(f.pick(now: 0)?.server.url, "http://127.0.0.1:2")
        spare.servers[0].activeDown = true
        guard case .failure(let e) = f.choose(now: 0, cookies: [], clientIP: "") else { return XCTFail("both down") }
        XCTAssertEqual(e.miss, .failoverDown)
        XCTAssertFalse(f.hasServerUp(0))
    }

    func testP2CPicksFewerInFlightAndHRWIsStable() {
        let a = server(1), b = server(2)
        let p2c = HTTPService(name: "p", servers: [a, b], passHostHeader: true, strategy: .p2c)
        a.load.inFlight = 3
        XCTAssertEqual(Set((0..<20).map { _ in p2c.pick(now: 0)!.server.url }), ["http://127.0.0.1:2"])
        a.load.inFlight = 0
        let hrw = HTTPService(name: "h", servers: [server(1), server(2), server(3)], passHostHeader: true, strategy: .hrw)
        let first = hrw.pick(now: 0, clientIP: "192.0.2.7")!.server.url
        XCTAssertEqual(Set((0..<10).map { _ in hrw.pick(now: 0, clientIP: "192.0.2.7")!.server.url }), [first])
        // 1/-ln(x) grows with x: the server whose FNV-1a hash is highest wins.
        XCTAssertGreaterThan(HTTPService.hrwScore(key: "k", name: "a", weight: 2), HTTPService.hrwScore(key: "k", name: "a", weight: 1))
    }

    func testTCPWeightedInterleavesAsTraefik() {
        let a = TCPService(name: "a", servers: [TCPUpstream(configured: "a", address: SocketAddress(host: "127.0.0.1", port: 1)!)])
        let b = TCPService(name: "b", servers: [TCPUpstream(configured: "b", address: SocketAddress(host: "127.0.0.1", port: 2)!)])
        let w = TCPService(name: "w", children: [(a, 3), (b, 1)])
        XCTAssertEqual((0..<8).map { _ in w.next()!.upstream.configured }, ["a", "a", "a", "b", "a", "a", "a", "b"])
        XCTAssertNil(TCPService(name: "z", children: [(a, 0)]).next())
    }
}
