import JSON
@testable import Stats
import XCTest

final class StatsViewTests: XCTestCase {
    func testTextFormat() {
        let fixed: [(Double, Int, String)] = [
            (1.25, 1, "1.3"), (0, 2, "0.00"), (-0.04, 1, "0.0"), (-1.5, 0, "-2"), (12.05, 2, "12.05"), (3, 0, "3"),
        ]
        for (value, decimals, expected) in fixed {
            XCTAssertEqual(TextFormat.fixed(value, decimals: decimals), expected, "\(value) \(decimals)")
        }
        let latencies: [(Double, String)] = [(0, "0µs"), (850, "850µs"), (12_345, "12.3ms"), (250_000, "250ms"), (1_204_000, "1.20s")]
        for (value, expected) in latencies { XCTAssertEqual(TextFormat.microseconds(value), expected) }
        let sizes: [(Double, String)] = [(512, "512 B"), (4096, "4.0 KiB"), (5_452_595, "5.2 MiB"), (3 * 1_073_741_824, "3.0 GiB")]
        for (value, expected) in sizes { XCTAssertEqual(TextFormat.bytes(value), expected) }
        let durations: [(Double, String)] = [(0, "0s"), (45, "45s"), (185, "3m05s"), (7380, "2h03m"), (352_800, "4d02h"), (-1, "-")]
        for (value, expected) in durations { XCTAssertEqual(TextFormat.duration(seconds: value), expected) }
    }

    func testWatchRates() throws {
        let before = try JSONParser.parse(#"{"counters":{"req":[{"labels":{},"value":100}],"restarted":[{"labels":{},"value":500}],"gone":[{"labels":{},"value":1}]},"gauges":{},"histograms":{}}"#)
        let after = try JSONParser.parse(#"{"counters":{"req":[{"labels":{},"value":400}],"restarted":[{"labels":{},"value":3}],"new":[{"labels":{"a":"b"},"value":9}]},"gauges":{},"histograms":{}}"#)
        let frame = StatsView.renderWatch(previous: before, current: after, info: nil, intervalSeconds: 2)
        XCTAssertEqual(frame, """
            every 2.0s

            COUNTER    VALUE   /s
            req          400  150
            restarted      3    -
            new{a=b}       9    -

            """)
        let first = StatsView.renderWatch(previous: nil, current: after, info: nil, intervalSeconds: 2)
        XCTAssertTrue(first.contains("req          400   -\n"), first)
    }

    func testRenderToleratesOddDocuments() throws {
        let documents = [
            "{}", "[]", "null", #"{"counters":5}"#, #"{"counters":{"x":[{"value":"nope"}]}}"#,
            #"{"histograms":{"h":[{"labels":{"k":[1]}}]}}"#, #"{"gauges":{"g":[{"labels":{},"value":1.5e30}]}}"#,
        ]
        for text in documents {
            let document = try JSONParser.parse(text)
            _ = StatsView.render(stats: document, info: document)
            _ = StatsView.renderWatch(previous: document, current: document, info: document, intervalSeconds: 1)
            for command in StatsCommand.all { _ = DocumentView.render(command: command, document: document) }
        }
        XCTAssertEqual(StatsView.render(stats: try JSONParser.parse("{}"), info: nil), "(no metrics registered)\n")
        XCTAssertEqual(DocumentView.render(command: .showConfigErrors, document: try JSONParser.parse(#"{"errors":[]}"#)),
                       "no configuration errors\n")
    }

    func testRegistryRendersThroughView() throws {
        let registry = StatsRegistry()
        registry.counter("http.requests", labels: [("router", "web")]).add(42)
        registry.gauge("conns").set(-3)
        registry.histogram("latency").record(microseconds: 1500)
        var writer = JSONWriter()
        registry.writeJSON(into: &writer)
        let text = StatsView.render(stats: try JSONParser.parse(writer.bytes), info: nil)
        XCTAssertEqual(text, """
            COUNTER                    VALUE
            http.requests{router=web}     42

            GAUGE  VALUE
            conns     -3

            HISTOGRAM  COUNT   MEAN    P50    P90    P99    MAX
            latency        1  1.5ms  1.5ms  1.5ms  1.5ms  1.5ms

            """)
    }
}
