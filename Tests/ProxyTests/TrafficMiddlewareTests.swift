// The pure parts of rateLimit, inFlightReq, retry, replacePath and contentType: token arithmetic as
// golang.org/x/time/rate computes it, the bounded source table, Go's duration and path formatting,
// and Go's content sniffing.
import Config
import HTTP
@testable import Proxy
import Rules
import XCTest

final class TrafficMiddlewareTests: XCTestCase {
    func testTokenBucketAsXTimeRate() {
        // 1 token/s, burst 2: two at once, the third is 1 s away (refused past maxDelay, token kept).
        var b = TokenBucket(rate: 1, burst: 2, now: 0)
        XCTAssertEqual(b.reserve(now: 0, maxDelay: 500_000_000), 0)
        XCTAssertEqual(b.reserve(now: 0, maxDelay: 500_000_000), 0)
        XCTAssertEqual(b.reserve(now: 0, maxDelay: 500_000_000), 1_000_000_000)
        XCTAssertEqual(b.tokens, 0, accuracy: 1e-9)  // the cancel gave the token back
        // 0.6 s later: 0.4 s to wait, within maxDelay: reserved (tokens go negative).
        XCTAssertEqual(b.reserve(now: 600_000_000, maxDelay: 500_000_000), 400_000_000)
        XCTAssertEqual(b.tokens, -0.4, accuracy: 1e-9)
        // Refill is capped at burst.
        XCTAssertEqual(b.reserve(now: 100_000_000_000, maxDelay: 0), 0)
        XCTAssertEqual(b.tokens, 1, accuracy: 1e-9)
        var unlimited = TokenBucket(rate: .infinity, burst: 1, now: 0)
        for _ in 0..<100 { XCTAssertEqual(unlimited.reserve(now: 0, maxDelay: 0), 0) }
    }

    func testRateLimitParametersAsTraefik() {
        func limiter(_ average: Int64, _ period: TraefikDuration, burst: Int64 = 1) -> RateLimitMiddleware {
            RateLimitMiddleware(name: "rl", config: TraefikRateLimit(average: average, period: period, burst: burst), clock: { 0 })
        }
        XCTAssertEqual(limiter(10, .seconds(1)).maxDelay, 50_000_000)
        XCTAssertEqual(limiter(3, .seconds(2)).maxDelay, 500_000_000)     // rate 1.5 → Duration(1) * 2
        XCTAssertEqual(limiter(1, .seconds(60)).maxDelay, 500_000_000)    // below 1/s: capped
        XCTAssertEqual(limiter(0, .seconds(1)).rate, .infinity)
        XCTAssertEqual(limiter(1, .seconds(60)).rate, 1.0 / 60, accuracy: 1e-12)
    }

    func testRateLimitAnswers429AsTraefik() {
        var now: UInt64 = 5_000_000_000
        let m = RateLimitMiddleware(name: "rl", config: TraefikRateLimit(average: 1, period: .seconds(60), burst: 1), clock: { now })
        let view = Self.view("GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        var f = ForwardedRequest(path: "/", query: "")
        XCTAssertNil(m.handle(view, &f, scheme: "http"))
        now += 250_000_000
        let answer = m.handle(view, &f, scheme: "http")
        XCTAssertEqual(answer.map { String(decoding: $0.bytes(), as: UTF8.self) },
                       "HTTP/1.1 429 Too Many Requests\r\nRetry-After: 60\r\nX-Retry-In: 59.75s\r\nContent-Length: 17\r\n\r\nToo Many Requests")
        XCTAssertEqual(m.rejected, 1)
        XCTAssertEqual(m.sources, 1)
    }

    func testBoundedSourceTableEvictsLeastRecentlyUsed() {
        var t = BoundedSourceTable<Int>(capacity: 3, ttl: 2)
        t.set("a", 1, now: 0)
        t.set("b", 2, now: 0)
        t.set("c", 3, now: 0)
        XCTAssertEqual(t.value(for: "a", now: 0), 1)  // a is now the most recent
        t.set("d", 4, now: 0)                         // evicts b
        XCTAssertNil(t.value(for: "b", now: 0))
        XCTAssertEqual(t.count, 3)
        XCTAssertEqual(t.evictions, 1)
        // Expired entries are forgotten on use and do not count as evictions when replaced.
        XCTAssertNil(t.value(for: "c", now: 2_000_000_000))
        t.set("e", 5, now: 3_000_000_000)
        XCTAssertEqual(t.evictions, 1)
        for i in 0..<10_000 { t.set("k\(i)", i, now: 4_000_000_000) }
        XCTAssertEqual(t.count, 3)
        XCTAssertEqual(t.value(for: "k9999", now: 4_000_000_000), 9999)
    }

    func testGoDurationString() {
        let cases: [(Int64, String)] = [(0, "0s"), (1, "1ns"), (1_500, "1.5µs"), (333_333_333, "333.333333ms"),
                                        (59_750_000_000, "59.75s"), (60_000_000_000, "1m0s"), (3_599_897_470_022, "59m59.897470022s"),
                                        (3_600_000_000_000, "1h0m0s"), (5_400_500_000_000, "1h30m0.5s")]
        for (ns, text) in cases { XCTAssertEqual(GoDuration.string(nanoseconds: ns), text) }
    }

    func testInFlightTicketsReleaseTheirSlot() {
        let m = InFlightReqMiddleware(name: "ifr", config: TraefikInFlightReq(amount: 1, source: .requestHost))
        let view = Self.view("GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        var first = ForwardedRequest(path: "/", query: "")
        XCTAssertNil(m.handle(view, &first, scheme: "http"))
        var second = ForwardedRequest(path: "/", query: "")
        XCTAssertEqual(m.handle(view, &second, scheme: "http")?.body, Array("max connections reached: 1".utf8))
        first.tickets = []
        XCTAssertEqual(m.sources, 0)
        XCTAssertNil(m.handle(view, &second, scheme: "http"))
    }

    func testRequestSources() {
        let head = "GET / HTTP/1.1\r\nHost: h.test\r\nX-Forwarded-For: 1.1.1.1, 2001:db8::1:2, 10.0.0.2\r\nX-User: u\r\n\r\n"
        let trusted = Self.view(head, trusted: true)
        let cases: [(TraefikSourceCriterion, String, UInt)] = [
            (.requestHost, "h.test", #line),
            (.requestHeader("x-user"), "u", #line),
            (.requestHeader("X-None"), "", #line),
            (.ip(TraefikIPStrategy()), "192.0.2.9", #line),
            (.ip(TraefikIPStrategy(depth: 1)), "10.0.0.2", #line),
            (.ip(TraefikIPStrategy(depth: 2, ipv6Subnet: 64)), "2001:db8::", #line),
            (.ip(TraefikIPStrategy(depth: 4)), "", #line),
            (.ip(TraefikIPStrategy(excludedIPs: ["10.0.0.0/8"])), "2001:db8::1:2", #line),
        ]
        for (criterion, key, line) in cases {
            XCTAssertEqual(RequestSource(criterion).key(of: trusted), key, line: line)
        }
        // An untrusted peer's X-Forwarded-For was removed: depth finds nothing.
        XCTAssertEqual(RequestSource(.ip(TraefikIPStrategy(depth: 1))).key(of: Self.view(head)), "")
    }

    func testRetryBackoff() {
        let p = RetryPolicy(attempts: 3, initialInterval: 100_000_000, timeout: 0)
        XCTAssertEqual(p.multiplier, 2.0.squareRoot(), accuracy: 1e-12)
        XCTAssertEqual(p.wait(after: 1, random: 0), 50_000_000)
        XCTAssertEqual(p.wait(after: 1, random: 0.5), 100_000_000)
        XCTAssertEqual(Double(p.wait(after: 2, random: 0.5)), 100_000_000 * 2.0.squareRoot(), accuracy: 2)
        XCTAssertEqual(RetryPolicy(attempts: 3, initialInterval: 0, timeout: 0).wait(after: 1), 0)
    }

    func testGoURLPath() {
        XCTAssertEqual(GoURLPath.escapedPath(raw: "/a%2Fb", unescaped: Array("/a/b".utf8)), "/a%2Fb")
        XCTAssertEqual(GoURLPath.escapedPath(raw: "/a b/é", unescaped: Array("/a b/é".utf8)), "/a%20b/%C3%A9")
        if case .failure(let e) = GoURLPath.unescape("/bad%zz") {
            XCTAssertEqual(e.description, "invalid URL escape \"%zz\"")
        } else {
            XCTFail("a bad escape must fail")
        }
        for (path, clean) in [("/a//b/../c/.", "/a/c"), ("/..", "/"), ("a/../../b", "../b"), ("", "."), ("/x/", "/x")] {
            XCTAssertEqual(GoURLPath.clean(path), clean, path)
        }
        XCTAssertEqual(GoURLPath.joinPath("/b/../c/"), "/c/")
    }

    func testContentSniffing() {
        let cases: [([UInt8], String)] = [
            (Array("  <!DOCTYPE html><html>".utf8), "text/html; charset=utf-8"),
            (Array("<p>x".utf8), "text/html; charset=utf-8"),   // tags compare case-insensitively
            (Array("<px".utf8), "text/plain; charset=utf-8"),   // "<p" needs a space or ">" after it
            (Array("<P>x".utf8), "text/html; charset=utf-8"),
            (Array("<?xml version".utf8), "text/xml; charset=utf-8"),
            (Array("%PDF-1.7".utf8), "application/pdf"),
            ([0x89] + Array("PNG\r\n".utf8) + [0x1A, 0x0A, 0], "image/png"),
            ([0xFF, 0xD8, 0xFF, 0xE0], "image/jpeg"),
            (Array("RIFF".utf8) + [1, 2, 3, 4] + Array("WEBPVP8 ".utf8), "image/webp"),
            ([0, 0, 0, 0x18] + Array("ftypmp42".utf8) + [0, 0, 0, 0] + Array("isommp42".utf8), "video/mp4"),
            ([0x1F, 0x8B, 0x08, 0], "application/x-gzip"),
            (Array("plain words".utf8), "text/plain; charset=utf-8"),
            ([0, 1, 2, 3, 4], "application/octet-stream"),
            ([0xEF, 0xBB, 0xBF, 0x41], "text/plain; charset=utf-8"),
        ]
        for (data, type) in cases { XCTAssertEqual(ContentSniffer.detect(data[...]), type, "\(data)") }
    }

    static func view(_ text: String, trusted: Bool = false) -> RequestView {
        let bytes = Array(text.utf8)
        guard case .complete(let head, _) = HTTPRequestHead.parse(bytes, limits: HTTPParseLimits()) else { fatalError("bad head") }
        return RequestView(head: head, bytes: bytes, clientIP: ClientIP("192.0.2.9"), trustedPeer: trusted, pathAndQuery: ("/", ""))
    }
}
