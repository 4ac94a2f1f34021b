// api@internal: the runtime view built from a dynamic configuration (statuses, errors, usedBy, internal
// entries) and the handler's documents, paths and error answers.
import Config
import Foundation
@testable import Proxy
import Reactor
import XCTest

final class APITests: XCTestCase {
    private func location(_ line: Int) -> SourceLocation { SourceLocation(file: "dyn.yml", line: line, column: 5) }

    private func config() -> TraefikDynamicConfig {
        var c = TraefikDynamicConfig(provider: "file")
        c.httpRouters["app@file"] = TraefikHTTPRouter(name: "app@file", rule: "Host(`app.test`)", entryPoints: ["web"],
                                                      middlewares: ["hdr@file"], service: "svc@file", location: location(1))
        c.httpRouters["bad@file"] = TraefikHTTPRouter(name: "bad@file", rule: "Host(`x", service: "svc@file", location: location(2))
        c.httpRouters["dash@file"] = TraefikHTTPRouter(name: "dash@file", rule: "Host(`t.test`)", service: "api@internal", location: location(3))
        c.httpRouters["ghost@file"] = TraefikHTTPRouter(name: "ghost@file", rule: "Host(`g.test`)", service: "prometheus@internal",
                                                        location: location(4))
        c.httpServices["svc@file"] = TraefikHTTPService(
            name: "svc@file", kind: .loadBalancer(TraefikLoadBalancer(servers: [TraefikServer(url: "http://127.0.0.1:1")])), location: location(5))
        var headers = TraefikHeaders()
        headers.customRequestHeaders = [TraefikKeyValue(key: "X-A", value: "b")]
        c.httpMiddlewares["hdr@file"] = TraefikMiddleware(name: "hdr@file", kind: .headers(headers), location: location(6))
        return c
    }

    private func handler(api: TraefikAPI? = TraefikAPI()) throws -> (TraefikAPIHandler, RouteTable) {
        let configs = [config()]
        let internals: Set<InternalService> = api == nil ? [.noop] : [.noop, .api, .dashboard]
        let result = RouteTableBuilder.build(configs, entryPointNames: ["web", "traefik"], internalServices: internals)
        var facts = APIStaticFacts()
        facts.entryPoints = [APIEntryPoint(name: "traefik", address: ":8080", readTimeout: 60_000_000_000, idleTimeout: 180_000_000_000,
                                           trustedIPs: [], insecure: false, maxConcurrentStreams: 0),
                             APIEntryPoint(name: "web", address: ":80", readTimeout: 60_000_000_000, idleTimeout: 180_000_000_000,
                                           trustedIPs: ["10.0.0.0/8"], insecure: false, maxConcurrentStreams: 7)]
        facts.api = api
        facts.providers = ["File"]
        let h = TraefikAPIHandler(loop: try EventLoop(backend: .epoll, log: Logger()))
        h.state = APIStateBuilder.build(configs: configs, table: result.table, tcpTable: .empty, problems: result.problems, facts: facts)
        return (h, result.table)
    }

    private func get(_ h: TraefikAPIHandler, _ path: String, query: String = "") -> (Int, Any?, [(String, String)]) {
        let r = h.answer(InternalRequest(method: "GET", path: path, query: query, host: "h", direct: false))
        return (r.status, try? JSONSerialization.jsonObject(with: Data(r.body)), r.fields.map { ($0.name, $0.value) })
    }

    func testInternalServicesResolveOnlyWhenConfigured() throws {
        let (_, table) = try handler()
        XCTAssertEqual(table.routes.first { $0.name == "dash@file" }?.internalService, .api)
        XCTAssertNil(table.routes.first { $0.name == "ghost@file" }, "prometheus@internal without metrics.prometheus")
        let (_, without) = try handler(api: nil)
        XCTAssertNil(without.routes.first { $0.name == "dash@file" }, "api@internal without [api]")
    }

    func testRoutersCarryStatusErrorsAndUsing() throws {
        let (h, _) = try handler()
        let (status, doc, headers) = get(h, "/api/http/routers")
        XCTAssertEqual(status, 200)
        XCTAssertTrue(headers.contains { $0 == ("X-Next-Page", "1") })
        let routers = try XCTUnwrap(doc as? [[String: Any]])
        XCTAssertEqual(routers.map { $0["name"] as? String }, ["app@file", "bad@file", "dash@file", "ghost@file"])
        XCTAssertEqual(routers[0]["status"] as? String, "enabled")
        XCTAssertEqual(routers[0]["service"] as? String, "svc")
        XCTAssertEqual(routers[0]["priority"] as? Int, 16)
        XCTAssertEqual(routers[1]["status"] as? String, "disabled")
        XCTAssertEqual((routers[1]["error"] as? [String])?.count, 1)
        XCTAssertEqual(routers[1]["using"] as? [String], ["web"], "no entryPoints: all but traefik")
        XCTAssertEqual(routers[2]["service"] as? String, "api@internal")
        XCTAssertEqual((routers[3]["error"] as? [String])?.first, "service prometheus@internal not found")
    }

    func testServicesMiddlewaresOverviewAndEntryPoints() throws {
        let (h, _) = try handler()
        let services = try XCTUnwrap(get(h, "/api/http/services").1 as? [[String: Any]])
        XCTAssertEqual(services.map { $0["name"] as? String }, ["api@internal", "dashboard@internal", "noop@internal", "svc@file"])
        XCTAssertEqual(services[0]["usedBy"] as? [String], ["dash@file"])
        XCTAssertEqual(services[3]["usedBy"] as? [String], ["app@file", "bad@file"])
        XCTAssertEqual(services[3]["serverStatus"] as? [String: String], ["http://127.0.0.1:1": "UP"])
        let hdr = try XCTUnwrap(get(h, "/api/http/middlewares/hdr@file").1 as? [String: Any])
        XCTAssertEqual((hdr["headers"] as? [String: Any])?["customRequestHeaders"] as? [String: String], ["X-A": "b"])
        XCTAssertEqual(hdr["type"] as? String, "headers")
        let overview = try XCTUnwrap(get(h, "/api/overview").1 as? [String: Any])
        let http = try XCTUnwrap(overview["http"] as? [String: Any])
        XCTAssertEqual(http["routers"] as? [String: Int], ["total": 4, "warnings": 0, "errors": 2])
        let web = try XCTUnwrap(get(h, "/api/entrypoints/web").1 as? [String: Any])
        XCTAssertEqual((web["forwardedHeaders"] as? [String: Any])?["trustedIPs"] as? [String], ["10.0.0.0/8"])
        XCTAssertEqual(((web["transport"] as? [String: Any])?["respondingTimeouts"] as? [String: String])?["idleTimeout"], "3m0s")
        // http2.maxConcurrentStreams as configured; 0 (Go's default) is left out, as Traefik's omitempty field.
        XCTAssertEqual(web["http2"] as? [String: Int],
                       ["maxConcurrentStreams": 7, "maxDecoderHeaderTableSize": 4096, "maxEncoderHeaderTableSize": 4096])
        let traefik = try XCTUnwrap(get(h, "/api/entrypoints/traefik").1 as? [String: Any])
        XCTAssertEqual(traefik["http2"] as? [String: Int], ["maxDecoderHeaderTableSize": 4096, "maxEncoderHeaderTableSize": 4096])
    }

    func testErrorsPaginationAndDashboard() throws {
        let (h, _) = try handler()
        let missing = get(h, "/api/http/routers/nope%40file")
        XCTAssertEqual(missing.0, 404)
        XCTAssertEqual((missing.1 as? [String: String])?["message"], "router not found: nope@file")
        XCTAssertEqual(get(h, "/api/nothing").0, 404)
        XCTAssertEqual(get(h, "/api/http/routers", query: "per_page=3&page=2").0, 200)
        XCTAssertEqual((get(h, "/api/http/routers", query: "per_page=3&page=2").1 as? [Any])?.count, 1)
        XCTAssertEqual(get(h, "/api/http/routers", query: "per_page=3&page=3").0, 400)
        XCTAssertEqual((get(h, "/api/http/routers", query: "status=disabled").1 as? [Any])?.count, 2)
        XCTAssertEqual((get(h, "/api/http/routers", query: "search=dash").1 as? [Any])?.count, 1)
        XCTAssertEqual(h.answer(InternalRequest(method: "DELETE", path: "/api/overview", query: "", host: "h", direct: false)).status, 405)
        let page = h.answer(InternalRequest(method: "GET", path: "/dashboard/", query: "", host: "h", direct: false))
        XCTAssertEqual(page.status, 200)
        XCTAssertTrue(String(decoding: page.body, as: UTF8.self).contains("id=\"health\""))
        let gzipped = h.answer(InternalRequest(method: "GET", path: "/dashboard/", query: "", host: "h", direct: false,
                                               acceptEncoding: ["gzip, deflate, br"]))
        XCTAssertTrue(gzipped.fields.contains { $0.name == "Content-Encoding" && $0.value == "gzip" })
        XCTAssertLessThan(gzipped.body.count, page.body.count / 2)
        // The page's data: the routers with their rules, as written (the page sets them as text).
        let routers = ((get(h, "/dashboard/live.json").1 as? [String: Any])?["routers"] as? [[String: Any]]) ?? []
        XCTAssertTrue(routers.contains { $0["name"] as? String == "app@file" })
        XCTAssertTrue(routers.contains { ($0["rule"] as? String)?.hasPrefix("Host(`x") == true })
        XCTAssertEqual(h.answer(InternalRequest(method: "GET", path: "/", query: "", host: "h", direct: false)).status, 302)
        XCTAssertEqual(h.answer(InternalRequest(method: "GET", path: "/", query: "", host: "h", direct: true)).status, 301)
        XCTAssertEqual(h.answer(InternalRequest(method: "GET", path: "/other", query: "", host: "h", direct: false)).status, 404)
    }

    func testDashboardEscapesNames() {
        XCTAssertEqual(HTMLText.escape("<a href=\"x\">&'"), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;")
    }

    func testGoDurations() {
        let cases: [(Int64, String)] = [(0, "0s"), (100_000_000, "100ms"), (5_000_000_000, "5s"), (60_000_000_000, "1m0s"),
                                        (180_000_000_000, "3m0s"), (5_400_000_000_000, "1h30m0s"), (1_500_000_000, "1.5s"), (1_500, "1500ns")]
        for (nanos, text) in cases { XCTAssertEqual(APIJSON.goDuration(nanos), text) }
    }

    func testProblemLinesPickTheirEntry() {
        let lines = ["a.yml:1:5: router web@file: service x@file not found; skipped",
                     "a.yml:2:5: router web2@file: bad",
                     "a.yml:3:5: TCP router web@file: needs TLS",
                     "a.yml:4:5: service svc@file: server http://h: cannot resolve h"]
        XCTAssertEqual(ProblemLines.messages(lines, kind: "router", name: "web@file"), ["service x@file not found"])
        XCTAssertEqual(ProblemLines.messages(lines, kind: "TCP router", name: "web@file"), ["needs TLS"])
        XCTAssertEqual(ProblemLines.messages(lines, kind: "service", name: "svc@file"), ["server http://h: cannot resolve h"])
        XCTAssertEqual(TraefikAPIHandler.percentDecoded("a%40file%zz%4"), "a@file%zz%4")
    }
}
