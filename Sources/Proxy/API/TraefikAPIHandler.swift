// api@internal: Traefik's read-only JSON API (`/api/...`, pkg/api/handler.go) and, with `api.dashboard`,
// the operator's live page at /dashboard/ (DashboardPage) and its data at /dashboard/live.json
// (DashboardLiveJSON) in place of Traefik's web application. Lists are sorted by name and
// paginated as Traefik does (`page`, `per_page` (100), `X-Next-Page`; `search` and `status` filters).
import Config
import HTTP
import JSON
import Reactor

public final class TraefikAPIHandler {
    public var state: APIState = .empty
    /// The community CA's "install this once" section for the dashboard, when the box has one.
    public var communityCASection: () -> String? = { nil }
    /// Writes the appliance's members of /dashboard/live.json (process, traffic, DNS, health sources) into
    /// the open object; the handler adds the configuration it holds itself.
    public var liveFacts: (inout JSONWriter) -> Void = { _ in }
    private let loop: EventLoop
    /// The page gzip-compressed, made on the first request that accepts it (nothing is held before anyone
    /// looks), again only when the community CA section changes.
    private var compressedPage: (section: String?, bytes: [UInt8])?

    public init(loop: EventLoop) {
        self.loop = loop
    }

    /// The answer to `request` (a GET; other methods get 405, as Traefik's router answers).
    public func answer(_ request: InternalRequest) -> LocalResponse {
        let path = request.path
        if path.hasPrefix("/api/") || path == "/api" {
            guard request.method == "GET" else { return .empty(405) }
            return api(path, query: QueryString.decode(request.query))
        }
        guard state.facts.api?.dashboard ?? false else { return .notFound }
        if path == "/" {
            // Traefik: 302 to the relative path behind a router; api.insecure's redirectRegex gives 301.
            if request.direct {
                return LocalResponse(status: 301, fields: [("Location", "http://\(request.host)/dashboard/")], body: Array("Moved Permanently".utf8))
            }
            return LocalResponse(status: 302, fields: [("Location", "/dashboard/")], body: [])
        }
        switch path {
        case "/dashboard":
            // The page fetches live.json relative to itself, so it must be loaded with the slash.
            return LocalResponse(status: 301, fields: [("Location", "/dashboard/")], body: Array("Moved Permanently".utf8))
        case "/dashboard/":
            return page(request)
        case "/dashboard/live.json":
            guard request.method == "GET" || request.method == "HEAD" else { return .empty(405) }
            var w = JSONWriter(reservingCapacity: 16 * 1024)
            w.beginObject()
            liveFacts(&w)
            DashboardLiveJSON.writeConfiguration(state, health: health, into: &w)
            w.endObject()
            return LocalResponse(status: 200, fields: [("Content-Type", "application/json"), ("Cache-Control", "no-store")], body: w.bytes)
        default:
            return .notFound
        }
    }

    /// The page, gzip-compressed when the request's Accept-Encoding allows it (Traefik's negotiation).
    private func page(_ request: InternalRequest) -> LocalResponse {
        let section = communityCASection()
        var fields: [(name: String, value: String)] = [("Content-Type", "text/html; charset=utf-8"), ("Cache-Control", "no-cache"),
                                                       ("Vary", "Accept-Encoding")]
        let wantsGzip = !request.acceptEncoding.isEmpty
            && AcceptEncoding.negotiate(request.acceptEncoding, encodings: ["gzip"], defaultEncoding: "") == "gzip"
        guard wantsGzip else { return LocalResponse(status: 200, fields: fields, body: Array(DashboardPage.html(communityCA: section).utf8)) }
        if compressedPage == nil || compressedPage?.section != section {
            guard let bytes = DashboardPage.gzip(DashboardPage.html(communityCA: section)) else {
                return LocalResponse(status: 200, fields: fields, body: Array(DashboardPage.html(communityCA: section).utf8))
            }
            compressedPage = (section, bytes)
        }
        fields.append(("Content-Encoding", "gzip"))
        return LocalResponse(status: 200, fields: fields, body: compressedPage?.bytes ?? [])
    }

    private func api(_ path: String, query: [(key: String, value: String)]) -> LocalResponse {
        let parts = path.split(separator: "/", omittingEmptySubsequences: true).map { Self.percentDecoded(String($0)) }
        guard parts.count >= 2 else { return .notFound }
        let rest = Array(parts.dropFirst())
        var w = JSONWriter()
        switch (rest.first ?? "", rest.count) {
        case ("overview", 1):
            overview(&w)
            return json(w)
        case ("version", 1):
            w.beginObject()
            w.field("Version", state.facts.version)
            w.field("Codename", "stoep")
            w.field("startDate", state.facts.startDate)
            w.endObject()
            return json(w)
        case ("entrypoints", 1):
            return list((state.facts.entryPoints + state.facts.udpEntryPoints).sorted { $0.name < $1.name }, name: \.name, status: { _ in "enabled" }, query: query) { APIJSON.entryPoint($0, &$1) }
        case ("entrypoints", 2):
            guard let e = (state.facts.entryPoints + state.facts.udpEntryPoints).first(where: { $0.name == rest[1] }) else { return notFound("entry point", rest[1]) }
            APIJSON.entryPoint(e, &w)
            return json(w)
        case ("http", 2), ("tcp", 2), ("udp", 2), ("http", 3), ("tcp", 3), ("udp", 3):
            return dynamic(rest, query: query)
        default:
            return .notFound
        }
    }

    private func dynamic(_ rest: [String], query: [(key: String, value: String)]) -> LocalResponse {
        let tcp = rest[0] == "tcp"
        let one = rest.count == 3 ? rest[2] : nil
        var w = JSONWriter()
        switch (rest[0], rest[1]) {
        case ("udp", "routers"):
            if let one {
                guard let r = state.udpRouters.first(where: { $0.name == one }) else { return notFound("router", one) }
                APIJSON.udpRouter(r, &w)
                return json(w)
            }
            return list(state.udpRouters, name: \.name, status: \.status, query: query) { APIJSON.udpRouter($0, &$1) }
        case ("udp", "services"):
            if let one {
                guard let s = state.udpServices.first(where: { $0.name == one }) else { return notFound("service", one) }
                APIJSON.udpService(s, &w)
                return json(w)
            }
            return list(state.udpServices, name: \.name, status: \.status, query: query) { APIJSON.udpService($0, &$1) }
        case (_, "routers"):
            let routers = tcp ? state.tcpRouters : state.httpRouters
            if let one {
                guard let r = routers.first(where: { $0.name == one }) else { return notFound("router", one) }
                APIJSON.router(r, &w)
                return json(w)
            }
            return list(routers, name: \.name, status: \.status, query: query) { APIJSON.router($0, &$1) }
        case (_, "services"):
            let services = tcp ? state.tcpServices : state.httpServices
            if let one {
                guard let s = services.first(where: { $0.name == one }) else { return notFound("service", one) }
                APIJSON.service(s, health: health, &w)
                return json(w)
            }
            return list(services, name: \.name, status: \.status, query: query) { APIJSON.service($0, health: health, &$1) }
        case (_, "middlewares"):
            let middlewares = tcp ? state.tcpMiddlewares : state.httpMiddlewares
            if let one {
                guard let m = middlewares.first(where: { $0.name == one }) else { return notFound("middleware", one) }
                APIJSON.middleware(m, &w)
                return json(w)
            }
            return list(middlewares, name: \.name, status: \.status, query: query) { APIJSON.middleware($0, &$1) }
        default:
            return .notFound
        }
    }

    /// A filtered, paginated JSON array (Traefik: 400 for a page past the end, `X-Next-Page` 1 on the last).
    private func list<T>(_ items: [T], name: (T) -> String, status: (T) -> String, query: [(key: String, value: String)],
                         _ write: (T, inout JSONWriter) -> Void) -> LocalResponse {
        func value(_ key: String) -> String? { query.first { $0.key == key }?.value }
        var selected = items
        if let search = value("search"), !search.isEmpty { selected = selected.filter { ProblemLines.after(Array(search.utf8), in: Array(name($0).utf8)) != nil } }
        if let s = value("status"), !s.isEmpty { selected = selected.filter { status($0) == s } }
        let perPage = max(1, Int(value("per_page") ?? "") ?? 100)
        let page = max(1, Int(value("page") ?? "") ?? 1)
        let start = (page - 1).multipliedReportingOverflow(by: perPage)
        if start.overflow || (start.partialValue >= selected.count && !(selected.isEmpty && page == 1)) {
            return message(400, "invalid request: page: \(page), per_page: \(perPage)")
        }
        let end = min(selected.count, start.partialValue + perPage)
        var w = JSONWriter()
        w.beginArray()
        for item in selected[start.partialValue..<end] { write(item, &w) }
        w.endArray()
        return json(w, nextPage: end < selected.count ? page + 1 : 1)
    }

    private func overview(_ w: inout JSONWriter) {
        func counts(_ key: String, _ statuses: [String]) {
            w.key(key)
            w.beginObject()
            w.field("total", statuses.count)
            w.field("warnings", statuses.filter { $0 == "warning" }.count)
            w.field("errors", statuses.filter { $0 == "disabled" }.count)
            w.endObject()
        }
        // One protocol's counts; UDP has no middlewares (nil leaves the member out).
        func section(_ key: String, routers: [String], services: [String], middlewares: [String]?) {
            w.key(key)
            w.beginObject()
            counts("routers", routers)
            counts("services", services)
            if let middlewares { counts("middlewares", middlewares) }
            w.endObject()
        }
        w.beginObject()
        section("http", routers: state.httpRouters.map(\.status), services: state.httpServices.map(\.status),
                middlewares: state.httpMiddlewares.map(\.status))
        section("tcp", routers: state.tcpRouters.map(\.status), services: state.tcpServices.map(\.status),
                middlewares: state.tcpMiddlewares.map(\.status))
        section("udp", routers: state.udpRouters.map(\.status), services: state.udpServices.map(\.status), middlewares: nil)
        counts("certificates", [])
        w.key("features")
        w.beginObject()
        w.field("tracing", "")
        w.field("metrics", state.facts.prometheus != nil ? "Prometheus" : "")
        w.field("accessLog", state.facts.accessLog)
        w.endObject()
        APIJSON.strings("providers", state.facts.providers, &w)
        w.endObject()
    }

    /// "UP"/"DOWN" of a server URL of an installed service, now.
    private func health(_ url: String) -> String? {
        let now = loop.now
        for service in state.servedServices.values {
            if let s = service.servers.first(where: { $0.url == url }) { return s.isUp(now) ? "UP" : "DOWN" }
        }
        return nil
    }

    private func json(_ w: JSONWriter, nextPage: Int? = nil) -> LocalResponse {
        var fields: [(name: String, value: String)] = [("Content-Type", "application/json")]
        if let nextPage { fields.append(("X-Next-Page", String(nextPage))) }
        return LocalResponse(status: 200, fields: fields, body: w.bytes)
    }

    private func notFound(_ what: String, _ name: String) -> LocalResponse {
        message(404, "\(what) not found: \(name)")
    }

    /// Traefik's error documents: `{"message":"..."}` as text/plain (Go's http.Error).
    private func message(_ status: Int, _ text: String) -> LocalResponse {
        var w = JSONWriter()
        w.beginObject()
        w.field("message", text)
        w.endObject()
        return LocalResponse(status: status, fields: [("Content-Type", "text/plain; charset=utf-8"), ("X-Content-Type-Options", "nosniff")],
                                body: w.bytes + [0x0A])
    }

    /// "%40" → "@" in a path segment (names are sent encoded by some clients); bad escapes stay as they are.
    static func percentDecoded(_ s: String) -> String {
        guard s.contains("%") else { return s }
        var out: [UInt8] = []
        let b = Array(s.utf8)
        var i = 0
        while i < b.count {
            if b[i] == UInt8(ascii: "%"), i + 2 < b.count, let v = UInt8(String(decoding: b[(i + 1)...(i + 2)], as: UTF8.self), radix: 16) {
                out.append(v)
                i += 3
            } else {
                out.append(b[i])
                i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
