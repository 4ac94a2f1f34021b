import XCTest
import Config
@testable import Proxy

/// oxy's expression language as Traefik accepts it, HdrHistogram's layout, and the breaker's states.
final class CircuitBreakerTests: XCTestCase {
    func testExpressions() {
        let ok: [(String, CircuitBreakerExpression, UInt)] = [
            ("NetworkErrorRatio() > 0.5", .compare(.networkErrorRatio, .greater, 0.5), #line),
            ("LatencyAtQuantileMS(50.0) > 100", .compare(.latencyAtQuantileMS(50), .greater, 100), #line),
            ("ResponseCodeRatio(500, 600, 0, 600) >= 0.25", .compare(.responseCodeRatio(fromA: 500, toA: 600, fromB: 0, toB: 600), .greaterOrEqual, 0.25), #line),
            ("NetworkErrorRatio() > 0.5 || NetworkErrorRatio() < 0.1 && LatencyAtQuantileMS(99.0) != 5",
             .or(.compare(.networkErrorRatio, .greater, 0.5), .and(.compare(.networkErrorRatio, .less, 0.1), .compare(.latencyAtQuantileMS(99), .notEqual, 5))), #line),
            ("(NetworkErrorRatio() > 0.5 || NetworkErrorRatio() < 0.1) && NetworkErrorRatio() == .3",
             .and(.or(.compare(.networkErrorRatio, .greater, 0.5), .compare(.networkErrorRatio, .less, 0.1)), .compare(.networkErrorRatio, .equal, 0.3)), #line),
        ]
        for (text, expected, line) in ok {
            XCTAssertEqual(try? CircuitBreakerExpression.parse(text).get(), expected, text, line: line)
        }
        let bad = ["", "x", "NetworkErrorRatio() > 1", "LatencyAtQuantileMS(50) > 100", "LatencyAtQuantileMS(50.0) > 100.0",
                   "ResponseCodeRatio(500, 600, 0) > 0.5", "0.5 < NetworkErrorRatio()", "NetworkErrorRatio() > -0.5",
                   "NetworkErrorRatio()", "NetworkErrorRatio() > 0.5 &&", "(NetworkErrorRatio() > 0.5", "!NetworkErrorRatio() > 0.5"]
        for text in bad {
            if case .success(let e) = CircuitBreakerExpression.parse(text) { XCTFail("\(text) parsed as \(e)") }
        }
    }

    /// HdrHistogram (1…3.6e9, 2 significant figures): the index layout and highest equivalent values.
    func testHistogramLayout() {
        XCTAssertEqual(LatencyHistogram.countsIndex(0), 0)
        XCTAssertEqual(LatencyHistogram.countsIndex(255), 255)
        XCTAssertEqual(LatencyHistogram.countsIndex(256), 256)
        XCTAssertEqual(LatencyHistogram.countsIndex(511), 383)
        XCTAssertEqual(LatencyHistogram.highestEquivalent(1000), 1003)  // bucket 2: 4 µs wide
        XCTAssertEqual(LatencyHistogram.highestEquivalent(100), 100)
        XCTAssertEqual(LatencyHistogram.countsIndex(3_600_000_000) < LatencyHistogram.countsLength, true)
        var h = LatencyHistogram()
        for ms in 1...100 { h.record(micros: UInt64(ms) * 1000, now: 1) }
        XCTAssertEqual(h.value(atQuantile: 50) / 1000, 50)
        XCTAssertEqual(h.value(atQuantile: 99) / 1000, 99)
        XCTAssertEqual(LatencyHistogram().value(atQuantile: 50), 0)
    }

    func testRollingCounterForgetsAfterTenSeconds() {
        var c = RollingCounter()
        let s: UInt64 = 1_000_000_000
        c.increment(now: 100 * s)
        c.increment(now: 105 * s)
        XCTAssertEqual(c.count(now: 109 * s), 2)
        XCTAssertEqual(c.count(now: 110 * s), 1)
        XCTAssertEqual(c.count(now: 116 * s), 0)
    }

    func testTripFallbackRecoverStandby() {
        let config = TraefikCircuitBreaker(expressionText: "", expression: .compare(.networkErrorRatio, .greater, 0.5),
                                           fallbackDuration: .seconds(10), recoveryDuration: .seconds(10))
        let b = CircuitBreakerMiddleware(name: "cb", config: config)
        let s: UInt64 = 1_000_000_000
        XCTAssertTrue(b.allows(now: 1 * s))
        b.record(status: 502, latencyNanos: 1000, now: 1 * s)
        XCTAssertEqual(b.state, .tripped)
        XCTAssertFalse(b.allows(now: 5 * s))
        XCTAssertFalse(b.allows(now: 11 * s))  // recovering starts; the ramp is at 0
        XCTAssertEqual(b.state, .recovering)
        var passed = 0
        for i in 0..<100 where b.allows(now: 11 * s + UInt64(i) * s / 10) { passed += 1 }
        XCTAssertTrue(passed > 10 && passed < 50, "\(passed)")
        XCTAssertTrue(b.allows(now: 22 * s))
        XCTAssertEqual(b.state, .standby)
    }
}
