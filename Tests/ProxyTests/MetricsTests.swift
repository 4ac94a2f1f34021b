import Config
@testable import Proxy
import XCTest

final class MetricsTests: XCTestCase {
    func testNumbersAreFormattedLikeGo() {
        let cases: [(Double, String)] = [
            (0, "0"), (1, "1"), (-1, "-1"), (0.1, "0.1"), (0.3, "0.3"), (1.2, "1.2"), (5, "5"), (2.5, "2.5"),
            (100, "100"), (123456, "123456"), (1e6, "1e+06"), (1234567, "1.234567e+06"), (2.5e6, "2.5e+06"),
            (0.0001, "0.0001"), (0.00001, "1e-05"), (1.5e-5, "1.5e-05"), (0.003, "0.003"),
            (0.123456789, "0.123456789"), (1e21, "1e+21"), (1e100, "1e+100"), (-0.25, "-0.25"),
            (12345.678, "12345.678"), (.infinity, "+Inf"), (-.infinity, "-Inf"), (.nan, "NaN"),
            (9007199254740992, "9.007199254740992e+15"), (.leastNonzeroMagnitude, "5e-324"),
        ]
        for (v, expected) in cases {
            XCTAssertEqual(PrometheusText.format(v), expected, "\(v)")
        }
    }

    func testLabelValuesAreEscaped() {
        let cases: [(String, String)] = [
            ("plain", "plain"), ("a\"b", "a\\\"b"), ("a\\b", "a\\\\b"), ("a\nb", "a\\nb"), ("é", "é"),
        ]
        for (value, expected) in cases {
            var out: [UInt8] = []
            PrometheusText.escapeLabelValue(&out, value)
            XCTAssertEqual(String(decoding: out, as: UTF8.self), expected)
        }
        let metrics = PrometheusMetrics(config: TraefikPrometheus())
        metrics.requestCompleted(completedRequest(entryPoint: "we\"b\\x\ny"))
        let text = String(decoding: metrics.render(), as: UTF8.self)
        XCTAssertTrue(text.contains("entrypoint=\"we\\\"b\\\\x\\ny\""), text)
        let parsed = ParsedExposition(metrics.render())
        XCTAssertEqual(parsed.value("traefik_entrypoint_requests_total",
                                    ["code": "200", "entrypoint": "we\"b\\x\ny", "method": "GET", "protocol": "http"]), "1")
    }

    /// Three requests: two GET 200 through app@file (50 ms, 200 ms), one POST 404 that no router took (7 s).
    private func threeRequests(_ config: TraefikPrometheus = TraefikPrometheus()) -> ParsedExposition {
        let metrics = PrometheusMetrics(config: config)
        metrics.requestCompleted(completedRequest(requestBytes: 10, responseBytes: 100, durationMillis: 50))
        metrics.requestCompleted(completedRequest(requestBytes: 5, responseBytes: 1_500_000, durationMillis: 200))
        metrics.requestCompleted(completedRequest(router: nil, service: nil, serverURL: nil, method: "POST",
                                                  status: 404, responseBytes: 19, durationMillis: 7000))
        return ParsedExposition(metrics.render())
    }

    func testEntryPointFamilies() {
        let p = threeRequests()
        let ok = ["code": "200", "entrypoint": "web", "method": "GET", "protocol": "http"]
        let notFound = ["code": "404", "entrypoint": "web", "method": "POST", "protocol": "http"]
        let d = "traefik_entrypoint_request_duration_seconds"
        let table: [(String, [String: String], String)] = [
            ("traefik_entrypoint_requests_total", ok, "2"),
            ("traefik_entrypoint_requests_total", notFound, "1"),
            (d + "_bucket", ok.merging(["le": "0.1"]) { $1 }, "1"),
            (d + "_bucket", ok.merging(["le": "0.3"]) { $1 }, "2"),
            (d + "_bucket", ok.merging(["le": "1.2"]) { $1 }, "2"),
            (d + "_bucket", ok.merging(["le": "5"]) { $1 }, "2"),
            (d + "_bucket", ok.merging(["le": "+Inf"]) { $1 }, "2"),
            (d + "_sum", ok, "0.25"),
            (d + "_count", ok, "2"),
            (d + "_bucket", notFound.merging(["le": "5"]) { $1 }, "0"),
            (d + "_bucket", notFound.merging(["le": "+Inf"]) { $1 }, "1"),
            (d + "_sum", notFound, "7"),
            ("traefik_entrypoint_requests_bytes_total", ok, "15"),
            ("traefik_entrypoint_responses_bytes_total", ok, "1.5001e+06"),
            ("traefik_entrypoint_responses_bytes_total", notFound, "19"),
        ]
        for (name, labels, expected) in table {
            XCTAssertEqual(p.value(name, labels), expected, "\(name) \(labels)")
        }
        XCTAssertEqual(p.types["traefik_entrypoint_requests_total"], "counter")
        XCTAssertEqual(p.types[d], "histogram")
        XCTAssertEqual(p.helps["traefik_entrypoint_requests_total"],
                       "How many HTTP requests processed on an entrypoint, partitioned by status code, protocol, and method.")
    }

    func testBucketsAreCumulativeAndEndWithInf() {
        let p = threeRequests()
        for series in p.samples.filter({ $0.name.hasSuffix("_bucket") }).map({ $0.labels.filter { $0.key != "le" } }) {
            let buckets = p.samples.filter { $0.name.hasSuffix("_bucket") && $0.labels.filter { $0.key != "le" } == series }
            XCTAssertEqual(buckets.map { $0.labels["le"] }, ["0.1", "0.3", "1.2", "5", "+Inf"])
            let counts = buckets.compactMap { Double($0.value) }
            XCTAssertEqual(counts, counts.sorted(), "cumulative: \(series)")
            let name = buckets[0].name.replacingOccurrences(of: "_bucket", with: "_count")
            XCTAssertEqual(p.value(name, series), buckets.last?.value)
        }
    }

    func testServiceFamiliesSkipRequestsWithoutRouter() {
        let p = threeRequests()
        let ok = ["code": "200", "method": "GET", "protocol": "http", "service": "app@file"]
        XCTAssertEqual(p.value("traefik_service_requests_total", ok), "2")
        XCTAssertEqual(p.value("traefik_service_request_duration_seconds_count", ok), "2")
        XCTAssertEqual(p.value("traefik_service_requests_bytes_total", ok), "15")
        XCTAssertFalse(p.samples.contains { $0.name.hasPrefix("traefik_service_") && $0.labels["code"] == "404" })
        XCTAssertEqual(p.helps["traefik_service_responses_bytes_total"],
                       "The total size of responses in bytes returned by a service, partitioned by status code, protocol, and method.")
    }

    func testRouterFamiliesAreOffByDefault() {
        XCTAssertTrue(threeRequests().names(withPrefix: "traefik_router_").isEmpty)
        var config = TraefikPrometheus()
        config.addRoutersLabels = true
        let p = threeRequests(config)
        let ok = ["code": "200", "method": "GET", "protocol": "http", "router": "app@file", "service": "app@file"]
        XCTAssertEqual(p.value("traefik_router_requests_total", ok), "2")
        XCTAssertEqual(p.value("traefik_router_request_duration_seconds_bucket", ok.merging(["le": "0.1"]) { $1 }), "1")
        XCTAssertEqual(p.types["traefik_router_request_duration_seconds"], "histogram")
        XCTAssertFalse(p.samples.contains { $0.name.hasPrefix("traefik_router_") && $0.labels["code"] == "404" })
    }

    func testLevelsCanBeSwitchedOff() {
        var config = TraefikPrometheus()
        config.addEntryPointsLabels = false
        config.addServicesLabels = false
        let p = threeRequests(config)
        XCTAssertTrue(p.samples.isEmpty)
        XCTAssertTrue(p.types.isEmpty)
    }

    func testFamiliesAndSeriesAreSorted() {
        let metrics = PrometheusMetrics(config: TraefikPrometheus())
        for (ep, method, status) in [("web", "POST", 500), ("admin", "GET", 200), ("web", "GET", 200), ("web", "GET", 199)] {
            metrics.requestCompleted(completedRequest(entryPoint: ep, method: method, status: status))
        }
        let first = metrics.render()
        XCTAssertEqual(first, metrics.render(), "rendering is stable")
        let p = ParsedExposition(first)
        XCTAssertEqual(p.familyOrder, p.familyOrder.sorted())
        let totals = p.samples.filter { $0.name == "traefik_entrypoint_requests_total" }
        XCTAssertEqual(totals.map { "\($0.labels["code"]!) \($0.labels["entrypoint"]!) \($0.labels["method"]!)" },
                       ["199 web GET", "200 admin GET", "200 web GET", "500 web POST"])
    }

    func testExactExposition() {
        var config = TraefikPrometheus()
        config.buckets = [1, 0.5, 0.5, .infinity]
        config.addServicesLabels = false
        let metrics = PrometheusMetrics(config: config)
        metrics.requestCompleted(completedRequest(protocolName: "websocket", status: 101, requestBytes: 3,
                                                  durationMillis: 750))
        let expected = """
        # HELP traefik_entrypoint_request_duration_seconds How long it took to process the request on an entrypoint, partitioned by status code, protocol, and method.
        # TYPE traefik_entrypoint_request_duration_seconds histogram
        traefik_entrypoint_request_duration_seconds_bucket{code="101",entrypoint="web",method="GET",protocol="websocket",le="0.5"} 0
        traefik_entrypoint_request_duration_seconds_bucket{code="101",entrypoint="web",method="GET",protocol="websocket",le="1"} 1
        traefik_entrypoint_request_duration_seconds_bucket{code="101",entrypoint="web",method="GET",protocol="websocket",le="+Inf"} 1
        traefik_entrypoint_request_duration_seconds_sum{code="101",entrypoint="web",method="GET",protocol="websocket"} 0.75
        traefik_entrypoint_request_duration_seconds_count{code="101",entrypoint="web",method="GET",protocol="websocket"} 1
        # HELP traefik_entrypoint_requests_bytes_total The total size of requests in bytes handled by an entrypoint, partitioned by status code, protocol, and method.
        # TYPE traefik_entrypoint_requests_bytes_total counter
        traefik_entrypoint_requests_bytes_total{code="101",entrypoint="web",method="GET",protocol="websocket"} 3
        # HELP traefik_entrypoint_requests_total How many HTTP requests processed on an entrypoint, partitioned by status code, protocol, and method.
        # TYPE traefik_entrypoint_requests_total counter
        traefik_entrypoint_requests_total{code="101",entrypoint="web",method="GET",protocol="websocket"} 1
        # HELP traefik_entrypoint_responses_bytes_total The total size of responses in bytes handled by an entrypoint, partitioned by status code, protocol, and method.
        # TYPE traefik_entrypoint_responses_bytes_total counter
        traefik_entrypoint_responses_bytes_total{code="101",entrypoint="web",method="GET",protocol="websocket"} 0

        """
        XCTAssertEqual(String(decoding: metrics.render(), as: UTF8.self), expected)
    }

    func testOpenConnectionGaugesUnderBothNames() {
        let metrics = PrometheusMetrics(config: TraefikPrometheus())
        metrics.openConnections = { [("websecure", 1), ("web", 3), ("web", 2)] }
        let p = ParsedExposition(metrics.render())
        XCTAssertEqual(p.value("traefik_open_connections", ["entrypoint": "web", "protocol": "TCP"]), "5")
        XCTAssertEqual(p.value("traefik_open_connections", ["entrypoint": "websecure", "protocol": "TCP"]), "1")
        XCTAssertEqual(p.value("traefik_entrypoint_open_connections",
                               ["entrypoint": "web", "method": "", "protocol": "TCP"]), "5")
        XCTAssertEqual(p.types["traefik_open_connections"], "gauge")
        XCTAssertEqual(p.types["traefik_entrypoint_open_connections"], "gauge")
        XCTAssertNil(ParsedExposition(PrometheusMetrics(config: TraefikPrometheus()).render())
            .types["traefik_open_connections"], "no closure, no family")
    }

    func testReloadServerUpAndExtraLines() {
        let metrics = PrometheusMetrics(config: TraefikPrometheus())
        metrics.configReloads = { .init(total: 3, lastSucceeded: false, lastSuccessTime: 1_700_000_000) }
        metrics.serverUp = { [("app@file", "http://10.0.0.3:80", false), ("app@file", "http://10.0.0.2:80", true)] }
        metrics.extraLines = { ["# HELP stoep_dns_queries_total DNS queries.", "# TYPE stoep_dns_queries_total counter",
                                "stoep_dns_queries_total 42"] }
        let bytes = metrics.render()
        let p = ParsedExposition(bytes)
        XCTAssertEqual(p.value("traefik_config_reloads_total", [:]), "3")
        XCTAssertEqual(p.value("traefik_config_last_reload_success", [:]), "0")
        XCTAssertEqual(p.value("traefik_config_last_reload_success_timestamp_seconds", [:]), "1.7e+09")
        XCTAssertEqual(p.types["traefik_config_reloads_total"], "counter")
        XCTAssertEqual(p.value("traefik_service_server_up", ["service": "app@file", "url": "http://10.0.0.2:80"]), "1")
        XCTAssertEqual(p.value("traefik_service_server_up", ["service": "app@file", "url": "http://10.0.0.3:80"]), "0")
        XCTAssertEqual(p.samples.last, ParsedSample(name: "stoep_dns_queries_total", labels: [:], value: "42"))
    }

    func testSeriesLimitBoundsMemory() {
        let metrics = PrometheusMetrics(config: TraefikPrometheus(), seriesLimit: 2)
        for method in ["GET", "A", "B", "GET"] {
            metrics.requestCompleted(completedRequest(router: nil, service: nil, method: method))
        }
        let p = ParsedExposition(metrics.render())
        XCTAssertEqual(p.samples.filter { $0.name == "traefik_entrypoint_requests_total" }.count, 2)
        XCTAssertEqual(p.value("traefik_entrypoint_requests_total",
                               ["code": "200", "entrypoint": "web", "method": "GET", "protocol": "http"]), "2")
        XCTAssertEqual(metrics.overflowed, 1)
    }

    func testVanishedObjectsAreDroppedAfterOneMoreScrape() {
        let metrics = PrometheusMetrics(config: TraefikPrometheus())
        metrics.requestCompleted(completedRequest(router: "old@file", service: "old@file"))
        metrics.requestCompleted(completedRequest(router: "app@file", service: "app@file"))
        metrics.configurationChanged(entryPoints: ["web"], routers: ["app@file"], services: ["app@file"])
        let services: (ParsedExposition) -> Set<String> = { p in
            Set(p.samples.filter { $0.name == "traefik_service_requests_total" }.compactMap { $0.labels["service"] })
        }
        XCTAssertEqual(services(ParsedExposition(metrics.render())), ["old@file", "app@file"])
        XCTAssertEqual(services(ParsedExposition(metrics.render())), ["app@file"])
    }
}
