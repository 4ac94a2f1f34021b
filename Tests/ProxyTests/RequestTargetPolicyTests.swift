import HTTP
@testable import Proxy
import XCTest

/// What an entry point makes of a request target, case by case as Traefik 3.7 does it (the same cases run
/// through Traefik itself in tests/integration/test_traefik_parity.py).
final class RequestTargetPolicyTests: XCTestCase {
    struct Case {
        let target: String
        let expected: RequestTargetPolicy.Outcome
        var line: UInt = #line
    }

    func resolve(_ target: String, _ policy: RequestTargetPolicy = RequestTargetPolicy(),
                 method: String = "GET") -> RequestTargetPolicy.Outcome? {
        let bytes = Array("\(method) \(target) HTTP/1.1\r\nHost: a.test\r\n\r\n".utf8)
        guard case .complete(let head, _) = HTTPRequestHead.parse(bytes) else { return nil }
        return policy.resolve(head, bytes)
    }

    func testDefaultPolicy() {
        let cases: [Case] = [
            Case(target: "/x", expected: .target(path: "/x", query: "", rewritten: false)),
            Case(target: "/x?a=1&b", expected: .target(path: "/x", query: "a=1&b", rewritten: false)),
            Case(target: "/public/../admin", expected: .target(path: "/admin", query: "", rewritten: true)),
            Case(target: "/a/../b/./c", expected: .target(path: "/b/c", query: "", rewritten: true)),
            Case(target: "//admin", expected: .target(path: "/admin", query: "", rewritten: true)),
            Case(target: "/..", expected: .target(path: "/", query: "", rewritten: true)),
            Case(target: "/admin/..", expected: .target(path: "/", query: "", rewritten: true)),
            Case(target: "/x/", expected: .target(path: "/x/", query: "", rewritten: false)),
            Case(target: "/x/.", expected: .target(path: "/x", query: "", rewritten: true)),
            Case(target: "/x/./", expected: .target(path: "/x/", query: "", rewritten: true)),
            Case(target: "/.well-known/x", expected: .target(path: "/.well-known/x", query: "", rewritten: false)),
            Case(target: "/a..b/...", expected: .target(path: "/a..b/...", query: "", rewritten: false)),
            // Escapes of unreserved characters are decoded first, so "%2e%2e" is a dot segment.
            Case(target: "/a/%2e%2e/admin", expected: .target(path: "/admin", query: "", rewritten: true)),
            Case(target: "/%61dmin", expected: .target(path: "/admin", query: "", rewritten: true)),
            Case(target: "/caf%C3%A9/%41", expected: .target(path: "/caf%C3%A9/A", query: "", rewritten: true)),
            Case(target: "/caf%c3%a9/%7e", expected: .target(path: "/caf%C3%A9/~", query: "", rewritten: true)),
            // An escaped slash separates nothing.
            Case(target: "/a%2F..%2Fadmin", expected: .target(path: "/a%2F..%2Fadmin", query: "", rewritten: false)),
            Case(target: "/x%2fy", expected: .target(path: "/x%2Fy", query: "", rewritten: true)),
            // Bytes Go would not send as written are escaped.
            Case(target: "/a{b}", expected: .target(path: "/a%7Bb%7D", query: "", rewritten: true)),
            Case(target: "/\u{E9}", expected: .target(path: "/%C3%A9", query: "", rewritten: true)),
            Case(target: "/q?a=1;b=2", expected: .target(path: "/q", query: "a=1&b=2", rewritten: true)),
            Case(target: "/bad%zz", expected: .malformed),
            Case(target: "/bad%4", expected: .malformed),
            Case(target: "/frag#x", expected: .fragment),
            Case(target: "http://o.test", expected: .target(path: "/", query: "", rewritten: true)),
            Case(target: "http://o.test/p/../q?z", expected: .target(path: "/q", query: "z", rewritten: true)),
        ]
        for c in cases {
            XCTAssertEqual(resolve(c.target), c.expected, c.target, line: c.line)
        }
        XCTAssertEqual(resolve("*", method: "OPTIONS"), .target(path: "*", query: "", rewritten: false))
    }

    func testOptions() {
        let unsanitized = RequestTargetPolicy(sanitizePath: false)
        XCTAssertEqual(resolve("/a/../b//c", unsanitized), .target(path: "/a/../b//c", query: "", rewritten: false))
        XCTAssertEqual(resolve("/a/%2e%2e/b", unsanitized), .target(path: "/a/../b", query: "", rewritten: true))
        let semicolons = RequestTargetPolicy(encodeQuerySemicolons: true)
        XCTAssertEqual(resolve("/q?a=1;b=2", semicolons), .target(path: "/q", query: "a=1%3Bb=2", rewritten: true))
        let denying = RequestTargetPolicy(deniedEscapes: ["%2F", "%25"])
        XCTAssertTrue(denying.deniesEscape(in: "/a%2Fb"))
        XCTAssertTrue(denying.deniesEscape(in: "/a%2fb"))
        XCTAssertTrue(denying.deniesEscape(in: "/100%25"))
        XCTAssertFalse(denying.deniesEscape(in: "/a%3Bb"))
        XCTAssertFalse(RequestTargetPolicy().deniesEscape(in: "/a%2Fb"))
    }
}
