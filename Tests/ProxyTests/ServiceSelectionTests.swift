// The pure parts of service selection: Traefik's earliest-deadline-first order, and the sticky cookie's
// name, value and Set-Cookie text as Traefik 3.7 derives them (values checked against Traefik's own
// answers in tests/integration/test_sticky_services.py).
import Config
@testable import Proxy
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
}
