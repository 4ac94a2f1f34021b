// The small dashboard at /dashboard/: one self-contained HTML page (no scripts, no external assets) that
// lists routers, services with their servers and health, and what was skipped and why. Traefik's full
// web application is a later item; the JSON API beside it carries the same facts.
enum DashboardPage {
    static func render(_ state: APIState, health: (String) -> String?, communityCA: String? = nil) -> String {
        var h = """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><title>stoep dashboard</title>
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <style>body{font-family:sans-serif;margin:1.5em;color:#222}table{border-collapse:collapse;margin-bottom:1.5em}
        td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left;vertical-align:top}th{background:#eee}
        .enabled,.UP{color:#060}.warning{color:#a60}.disabled,.DOWN{color:#b00}code{font-size:.95em}</style></head><body>
        <h1>stoep</h1>
        <p>Version \(HTMLText.escape(state.facts.version)), started \(HTMLText.escape(state.facts.startDate)). Providers: \(HTMLText.escape(state.facts.providers.joined(separator: ", ")))</p>

        """
        h += "<h2>HTTP routers</h2>\n"
        h += routers(state.httpRouters)
        if !state.tcpRouters.isEmpty {
            h += "<h2>TCP routers</h2>\n"
            h += routers(state.tcpRouters)
        }
        h += "<h2>Services</h2>\n<table><tr><th>Service</th><th>Status</th><th>Servers</th><th>Used by</th></tr>\n"
        for s in state.httpServices + state.tcpServices {
            var servers: [String] = []
            switch s.kind {
            case .loadBalancer(let lb): servers = lb.servers.map(\.url)
            case .tcp(let t): servers = t.servers.map(\.address)
            case .weighted(let ws): servers = ws.map(\.name)
            case .failover(let f): servers = [f.service, f.fallback]
            case .mirroring(let m): servers = [m.service] + m.mirrors.map(\.name)
            case .highestRandomWeight(let ws): servers = ws.map(\.name)
            case .internalService: servers = []
            }
            let cells = servers.map { url -> String in
                let state = s.status == "disabled" ? "" : (health(url) ?? "UP")
                return "\(HTMLText.escape(url)) <span class=\"\(state)\">\(state)</span>"
            }.joined(separator: "<br>")
            h += "<tr><td>\(HTMLText.escape(s.name))</td><td class=\"\(HTMLText.escape(s.status))\">\(HTMLText.escape(s.status))\(errors(s.errors))</td><td>\(cells)</td><td>\(HTMLText.escape(s.usedBy.joined(separator: ", ")))</td></tr>\n"
        }
        h += "</table>\n"
        if let communityCA { h += communityCA + "\n" }
        h += "<p>JSON: <a href=\"/api/overview\">/api/overview</a>, <a href=\"/api/http/routers\">/api/http/routers</a>, "
        h += "<a href=\"/api/http/services\">/api/http/services</a>, <a href=\"/api/entrypoints\">/api/entrypoints</a></p>\n</body></html>\n"
        return h
    }

    private static func routers(_ list: [APIRouter]) -> String {
        var h = "<table><tr><th>Router</th><th>Status</th><th>Rule</th><th>Entry points</th><th>Middlewares</th><th>Service</th></tr>\n"
        for r in list {
            h += "<tr><td>\(HTMLText.escape(r.name))</td><td class=\"\(HTMLText.escape(r.status))\">\(HTMLText.escape(r.status))\(errors(r.errors))</td><td><code>\(HTMLText.escape(r.rule))</code></td>"
            h += "<td>\(HTMLText.escape(r.using.joined(separator: ", ")))</td><td>\(HTMLText.escape(r.middlewares.joined(separator: ", ")))</td><td>\(HTMLText.escape(r.service))</td></tr>\n"
        }
        return h + "</table>\n"
    }

    private static func errors(_ list: [String]) -> String {
        list.isEmpty ? "" : "<br><small>" + list.map(HTMLText.escape).joined(separator: "<br>") + "</small>"
    }
}
