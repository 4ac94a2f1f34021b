import XCTest
@testable import DNS

final class DNSClientPolicyTests: XCTestCase {
    func ip(_ text: String) -> IPAddress { IPAddress(text)! }

    func testLocalNetworks() {
        let nets = DNSLocalNetworks(networks: [(ip("10.1.2.3"), 24), (ip("127.0.0.1"), 8), (ip("fd00:1::5"), 64),
                                               (ip("::1"), 128)])
        let cases: [(String, Bool)] = [
            ("10.1.2.200", true), ("10.1.3.1", false), ("127.9.9.9", true), ("192.0.2.1", false),
            ("fd00:1::99", true), ("fd00:2::1", false), ("::1", true), ("::2", false),
            ("::ffff:10.1.2.7", true), ("::ffff:10.9.2.7", false),
        ]
        for (client, expected) in cases { XCTAssertEqual(nets.contains(ip(client)), expected, client) }
        XCTAssertTrue(DNSLocalNetworks(networks: [(ip("0.0.0.0"), 0)]).contains(ip("8.8.8.8")))
    }

    func testEffectiveLocalService() {
        var s = DNSSettings()
        XCTAssertEqual(s.effectiveLocalService, .net)
        s.localService = .host
        XCTAssertEqual(s.effectiveLocalService, .host)
        s.listenAddresses = [ip("0.0.0.0")]
        XCTAssertNil(s.effectiveLocalService, "dnsmasq: listen-address turns local-service off")
        s.listenAddresses = []
        s.interfaces = ["eth0"]
        XCTAssertNil(s.effectiveLocalService)
    }

    func testRateLimiterFixedWindow() {
        var limiter = DNSRateLimiter(count: 3, intervalSeconds: 60)!
        let a = ip("10.0.0.5"), b = ip("10.0.0.6")
        let t0: UInt64 = 5_000_000_000
        for _ in 0..<3 { XCTAssertEqual(limiter.check(a, now: t0), .admit) }
        XCTAssertEqual(limiter.check(a, now: t0 + 1_000_000_000), .refuse(firstSecondsLeft: 59))
        XCTAssertEqual(limiter.check(a, now: t0 + 2_000_000_000), .refuse(firstSecondsLeft: nil))
        XCTAssertEqual(limiter.check(b, now: t0 + 2_000_000_000), .admit, "per client")
        XCTAssertEqual(limiter.check(a, now: t0 + 60_000_000_000), .admit, "a new window")
        XCTAssertNil(DNSRateLimiter(count: 0, intervalSeconds: 0))
        XCTAssertTrue(ip("127.0.0.2").isLoopback)
        XCTAssertTrue(ip("::1").isLoopback)
        XCTAssertFalse(ip("10.0.0.1").isLoopback)
    }

    func testTopKSketchKeepsHeavyHitters() {
        var sketch = TopKSketch<Int, Int>(capacity: 16, fresh: 0)
        // Keys 0..3 are heavy (100 each); 1,000 distinct light keys come between them. Space-Saving keeps
        // every key more frequent than N / capacity (1400 / 16 = 87.5).
        var light = 1000
        for round in 0..<100 {
            for heavy in 0..<4 { sketch.add(heavy, update: { $0 += 1 }) }
            for _ in 0..<10 { sketch.add(light); light += 1 }
            _ = round
        }
        XCTAssertEqual(sketch.count, 16)
        XCTAssertEqual(sketch.total, 1400)
        let top = sketch.top(4)
        XCTAssertEqual(Set(top.map(\.key)), [0, 1, 2, 3])
        for e in top {
            XCTAssertGreaterThanOrEqual(e.count, 100)
            XCTAssertLessThanOrEqual(e.count - e.error, 100)
            XCTAssertTrue(e.payload > 0 && e.payload <= 100, "counted since the key last entered the table")
        }
    }

    func testClientStatistics() throws {
        let stats = DNSClientStatistics()
        let name = try DNSName(text: "ads.example")
        stats.record(client: ip("10.0.0.5"), name: name, outcome: .blocked)
        stats.record(client: ip("10.0.0.5"), name: try DNSName(text: "x.example"), outcome: .forwarded)
        stats.record(client: ip("10.0.0.6"), name: name, outcome: .cached)
        let top = stats.clients.top(2)
        XCTAssertEqual(top.first?.key, ip("10.0.0.5"))
        XCTAssertEqual(top.first?.payload.blocked, 1)
        XCTAssertEqual(top.first?.payload.forwarded, 1)
        XCTAssertEqual(stats.names.top(1).first?.key, name)
        XCTAssertEqual(stats.names.top(1).first?.count, 2)
        XCTAssertEqual(stats.blockedNames.top(5).map(\.count), [1])
    }
}
