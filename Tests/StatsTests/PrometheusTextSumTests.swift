import XCTest
@testable import Stats

final class PrometheusTextSumTests: XCTestCase {
    func testSumsSeriesKeepsFamiliesTogether() {
        let a = """
            # HELP traefik_entrypoint_requests_total How many HTTP requests processed on an entrypoint.
            # TYPE traefik_entrypoint_requests_total counter
            traefik_entrypoint_requests_total{code="200",entrypoint="web"} 3
            # TYPE traefik_config_reloads_total counter
            traefik_config_reloads_total 1
            # TYPE traefik_config_last_reload_success gauge
            traefik_config_last_reload_success 1
            # TYPE d histogram
            d_bucket{le="0.1"} 1
            d_bucket{le="+Inf"} 2
            d_sum 0.25
            d_count 2

            """
        let b = """
            # HELP traefik_entrypoint_requests_total How many HTTP requests processed on an entrypoint.
            # TYPE traefik_entrypoint_requests_total counter
            traefik_entrypoint_requests_total{code="200",entrypoint="web"} 4
            traefik_entrypoint_requests_total{code="404",entrypoint="web"} 1
            # TYPE traefik_config_reloads_total counter
            traefik_config_reloads_total 1
            # TYPE traefik_config_last_reload_success gauge
            traefik_config_last_reload_success 0
            # TYPE d histogram
            d_bucket{le="0.1"} 0
            d_bucket{le="+Inf"} 1
            d_sum 1.5
            d_count 1

            """
        let sum = String(decoding: PrometheusTextSum.merge([Array(a.utf8), Array(b.utf8)]), as: UTF8.self)
        XCTAssertEqual(sum, """
            # HELP traefik_entrypoint_requests_total How many HTTP requests processed on an entrypoint.
            # TYPE traefik_entrypoint_requests_total counter
            traefik_entrypoint_requests_total{code="200",entrypoint="web"} 7
            traefik_entrypoint_requests_total{code="404",entrypoint="web"} 1
            # TYPE traefik_config_reloads_total counter
            traefik_config_reloads_total 1
            # TYPE traefik_config_last_reload_success gauge
            traefik_config_last_reload_success 0
            # TYPE d histogram
            d_bucket{le="0.1"} 1
            d_bucket{le="+Inf"} 3
            d_sum 1.75
            d_count 3

            """)
    }
}
