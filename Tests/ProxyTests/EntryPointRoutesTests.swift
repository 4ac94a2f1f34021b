// An entry point's share of the route table: configured routers by connection kind, and Traefik's own
// routers (/metrics, api.insecure) first on their entry point, for plain and TLS connections alike.
import Config
import HTTP
@testable import Proxy
import Rules
import XCTest

private struct ParseFailed: Error {}

final class EntryPointRoutesTests: XCTestCase {
    private func table(_ own: InternalRouters) -> RouteTable {
        var c = TraefikDynamicConfig(provider: "file")
        let at = SourceLocation(file: "dyn.yml", line: 1, column: 1)
        c.httpRouters["any@file"] = TraefikHTTPRouter(name: "any@file", rule: "PathPrefix(`/`)", service: "svc@file", location: at)
        c.httpRouters["secure@file"] = TraefikHTTPRouter(name: "secure@file", rule: "PathPrefix(`/`)", service: "svc@file",
                                                         tls: TraefikRouterTLS(), location: at)
        c.httpServices["svc@file"] = TraefikHTTPService(
            name: "svc@file", kind: .loadBalancer(TraefikLoadBalancer(servers: [TraefikServer(url: "http://127.0.0.1:1")])), location: at)
        let built = RouteTableBuilder.build([c], entryPointNames: ["web", "traefik"], internalServices: [.noop, .api, .dashboard, .prometheus],
                                            internalRouters: own)
        XCTAssertEqual(built.problems, [])
        return built.table
    }

    private func request(_ target: String, _ method: String = "GET") throws -> RequestView {
        let bytes = Array("\(method) \(target) HTTP/1.1\r\nHost: a.test\r\n\r\n".utf8)
        guard case .complete(let head, _) = HTTPRequestHead.parse(bytes) else { throw ParseFailed() }
        let path = target.split(separator: "?", maxSplits: 1).first.map(String.init) ?? target
        return RequestView(head: head, bytes: bytes, clientIP: nil, pathAndQuery: (path, ""))
    }

    func testInternalRoutersComeFirstOnBothKindsOfConnection() throws {
        let t = table(InternalRouters(metricsEntryPoint: "traefik", apiEntryPoint: "traefik", dashboard: true))
        XCTAssertEqual(t.routes.map(\.name), ["any@file", "secure@file"], "Traefik's own routers are not configured routers")
        let own = t.routes(on: "traefik")
        XCTAssertEqual(own.plain.map(\.name), ["prometheus@internal", "api@internal", "dashboard@internal", "any@file"])
        XCTAssertEqual(own.tls.map(\.name), ["prometheus@internal", "api@internal", "dashboard@internal", "secure@file"])
        XCTAssertTrue(own.servesTLS)
        let cases: [(String, String)] = [("/metrics", "prometheus@internal"), ("/metrics/x", "dashboard@internal"),
                                         ("/api", "api@internal"), ("/apifoo", "api@internal"), ("/api/overview", "api@internal"),
                                         ("/", "dashboard@internal"), ("/dashboard/", "dashboard@internal"), ("*", "dashboard@internal")]
        for (target, expected) in cases {
            let method = target == "*" ? "OPTIONS" : "GET"
            XCTAssertEqual(own.match(tls: false, try request(target, method))?.name, expected, target)
            XCTAssertEqual(own.match(tls: true, try request(target, method))?.name, expected, target)
        }
        let web = t.routes(on: "web")
        XCTAssertEqual(web.plain.map(\.name), ["any@file"])
        XCTAssertEqual(web.match(tls: false, try request("/metrics"))?.name, "any@file")
    }

    func testWithoutTheDashboardOtherPathsGoToConfiguredRouters() throws {
        let t = table(InternalRouters(metricsEntryPoint: "metrics", apiEntryPoint: "traefik"))
        let own = t.routes(on: "traefik")
        XCTAssertEqual(own.plain.map(\.name), ["api@internal", "any@file"])
        XCTAssertEqual(own.match(tls: false, try request("/dashboard/"))?.name, "any@file")
        XCTAssertEqual(t.routes(on: "metrics").plain.map(\.name), ["prometheus@internal", "any@file"])
        XCTAssertTrue(own.plain.allSatisfy { $0.isInternalRouter == ($0.internalService != nil) })
    }

    func testNoInternalRoutersWithoutStaticConfiguration() {
        let t = table(InternalRouters())
        XCTAssertEqual(t.routes(on: "traefik").plain.map(\.name), ["any@file"])
        XCTAssertFalse(RouteTable.empty.routes(on: "web").servesTLS)
    }
}
