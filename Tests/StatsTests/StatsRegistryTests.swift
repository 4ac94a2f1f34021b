import JSON
@testable import Stats
import XCTest

final class StatsRegistryTests: XCTestCase {
    private func document(_ registry: StatsRegistry) throws -> JSONValue {
        var writer = JSONWriter()
        registry.writeJSON(into: &writer)
        return try JSONParser.parse(writer.bytes)
    }

    func testEmptyRegistry() throws {
        let json = try document(StatsRegistry())
        XCTAssertEqual(json, .object([
            JSONMember("counters", .object([])),
            JSONMember("gauges", .object([])),
            JSONMember("histograms", .object([])),
        ]))
    }

    func testRegistryJSONSchema() throws {
        let registry = StatsRegistry()
        let queries = registry.counter("dns.queries")
        let bytesIn = registry.counter("forward.bytes_in", labels: [("forward", "fw1")])
        let bytesIn2 = registry.counter("forward.bytes_in", labels: [("forward", "fw \"2\"")])
        let open = registry.gauge("proxy.open_conns")
        let latency = registry.histogram("http.latency", labels: [("router", "web"), ("service", "app")])
        queries.add(5)
        queries.increment()
        bytesIn.add(1000)
        bytesIn2.add(UInt64.max)
        open.set(10)
        open.decrement()
        open.add(-20)
        latency.record(microseconds: 100)
        latency.record(microseconds: 300)

        let json = try document(registry)
        XCTAssertEqual(json["counters"]?["dns.queries"], .array([
            .object([JSONMember("labels", .object([])), JSONMember("value", .int(6))]),
        ]))
        let forwards = json["counters"]?["forward.bytes_in"]?.arrayValue
        XCTAssertEqual(forwards?.count, 2)
        XCTAssertEqual(forwards?[0]["labels"]?["forward"], .string("fw1"))
        XCTAssertEqual(forwards?[0]["value"], .int(1000))
        XCTAssertEqual(forwards?[1]["labels"]?["forward"], .string("fw \"2\""))
        XCTAssertEqual(forwards?[1]["value"], .double(18446744073709551616))
        XCTAssertEqual(json["gauges"]?["proxy.open_conns"]?[0]?["value"], .int(-11))
        let histogram = json["histograms"]?["http.latency"]?[0]
        XCTAssertEqual(histogram?["labels"]?.objectValue?.map(\.key), ["router", "service"])
        XCTAssertEqual(histogram?["count"], .int(2))
        XCTAssertEqual(histogram?["sum_us"], .int(400))
        XCTAssertEqual(histogram?["min_us"], .int(100))
        XCTAssertEqual(histogram?["max_us"], .int(300))
        XCTAssertEqual(histogram?["mean_us"], .int(200))
        XCTAssertNotNil(histogram?["p50_us"]?.int64Value)
        XCTAssertNotNil(histogram?["p90_us"]?.int64Value)
        XCTAssertNotNil(histogram?["p99_us"]?.int64Value)
        // Two non-empty buckets, [lower, upper, count] each.
        XCTAssertEqual(histogram?["buckets"], .array([
            .array([.int(96), .int(112), .int(1)]),
            .array([.int(256), .int(320), .int(1)]),
        ]))
    }

    func testRegistrationIsIdempotentAndRemovable() throws {
        let registry = StatsRegistry()
        let first = registry.counter("http.requests", labels: [("router", "web")])
        let again = registry.counter("http.requests", labels: [("router", "web")])
        XCTAssertTrue(first === again)
        XCTAssertFalse(first === registry.counter("http.requests", labels: [("router", "api")]))
        XCTAssertFalse(first === registry.counter("http.requests"))
        _ = registry.gauge("conns", labels: [("router", "web")])
        _ = registry.histogram("latency", labels: [("router", "web")])
        XCTAssertEqual(registry.seriesCount, 5)

        registry.removeSeries(labeled: StatsLabel("router", "web"))
        XCTAssertEqual(registry.seriesCount, 2)
        let json = try document(registry)
        XCTAssertEqual(json["counters"]?["http.requests"]?.arrayValue?.count, 2)
        XCTAssertNil(json["gauges"]?["conns"])
        XCTAssertNil(json["histograms"]?["latency"])
    }

    func testEmptyHistogramFields() throws {
        let registry = StatsRegistry()
        _ = registry.histogram("idle")
        let histogram = try document(registry)["histograms"]?["idle"]?[0]
        for field in ["count", "sum_us", "min_us", "max_us", "mean_us", "p50_us", "p90_us", "p99_us"] {
            XCTAssertEqual(histogram?[field], .int(0), field)
        }
        XCTAssertEqual(histogram?["buckets"], .array([]))
    }

    func testBucketLayout() {
        let cases: [(value: UInt64, bucket: Int)] = [
            (0, 0), (1, 1), (2, 2), (3, 3), (4, 4), (5, 5), (7, 7), (8, 8), (9, 8), (10, 9), (15, 11), (16, 12),
            (1000, 4 * 8 + 3), (60_000_000, 99), ((1 << 26) - 1, 99), (1 << 26, 100), (UInt64.max, 100),
        ]
        for (value, bucket) in cases {
            XCTAssertEqual(Histogram.bucketIndex(value), bucket, "value \(value)")
        }
        // Every finite bucket is contiguous with the next and holds exactly its own range.
        for index in 0..<Histogram.finiteBucketCount {
            let lower = Histogram.lowerBound(ofBucket: index)
            let upper = Histogram.upperBound(ofBucket: index)!
            XCTAssertLessThan(lower, upper)
            XCTAssertEqual(Histogram.bucketIndex(lower), index)
            XCTAssertEqual(Histogram.bucketIndex(upper - 1), index)
            XCTAssertEqual(upper, Histogram.lowerBound(ofBucket: index + 1))
            if lower >= 4 { XCTAssertLessThanOrEqual(Double(upper - lower) / Double(lower), 0.25) }
        }
        XCTAssertNil(Histogram.upperBound(ofBucket: Histogram.finiteBucketCount))
    }

    func testPercentiles() {
        let registry = StatsRegistry()
        let uniform = registry.histogram("uniform")
        for value in 1...10_000 { uniform.record(microseconds: UInt64(value)) }
        let cases: [(fraction: Double, exact: Double)] = [(0.5, 5000), (0.9, 9000), (0.99, 9900), (1.0, 10000)]
        for (fraction, exact) in cases {
            let estimate = Double(uniform.percentile(fraction))
            XCTAssertEqual(estimate, exact, accuracy: exact * 0.125, "p\(fraction)")
        }
        XCTAssertEqual(uniform.percentile(0), 1)
        XCTAssertEqual(uniform.count, 10_000)
        XCTAssertEqual(uniform.sum, 50_005_000)
        XCTAssertEqual(uniform.mean, 5000.5)

        let single = registry.histogram("single")
        single.record(microseconds: 1234)
        for fraction in [0.0, 0.5, 0.99, 1.0] { XCTAssertEqual(single.percentile(fraction), 1234) }

        let skewed = registry.histogram("skewed")
        for _ in 0..<990 { skewed.record(microseconds: 100) }
        for _ in 0..<10 { skewed.record(nanoseconds: 50_000_000) }  // 50 ms
        XCTAssertEqual(Double(skewed.percentile(0.5)), 100, accuracy: 13)
        XCTAssertEqual(Double(skewed.percentile(0.99)), 100, accuracy: 13)
        XCTAssertEqual(Double(skewed.percentile(0.999)), 50_000, accuracy: 6_250)

        let overflow = registry.histogram("overflow")
        overflow.record(microseconds: 100_000_000)  // 100 s: past the last finite bucket
        XCTAssertEqual(overflow.percentile(0.5), 100_000_000)
        XCTAssertEqual(registry.histogram("empty").percentile(0.5), 0)

        skewed.reset()
        XCTAssertEqual(skewed.count, 0)
        XCTAssertEqual(skewed.percentile(0.5), 0)
    }
}
