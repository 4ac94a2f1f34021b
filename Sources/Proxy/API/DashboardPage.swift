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
        <p>Version \(esc(state.facts.version)), started \(esc(state.facts.startDate)). Providers: \(esc(state.facts.providers.joined(separator: ", ")))</p>

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
            case .internalService: servers = []
            }
            let cells = servers.map { url -> String in
                let state = s.status == "disabled" ? "" : (health(url) ?? "UP")
                return "\(esc(url)) <span class=\"\(state)\">\(state)</span>"
            }.joined(separator: "<br>")
            h += "<tr><td>\(esc(s.name))</td><td class=\"\(esc(s.status))\">\(esc(s.status))\(errors(s.errors))</td><td>\(cells)</td><td>\(esc(s.usedBy.joined(separator: ", ")))</td></tr>\n"
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
            h += "<tr><td>\(esc(r.name))</td><td class=\"\(esc(r.status))\">\(esc(r.status))\(errors(r.errors))</td><td><code>\(esc(r.rule))</code></td>"
            h += "<td>\(esc(r.using.joined(separator: ", ")))</td><td>\(esc(r.middlewares.joined(separator: ", ")))</td><td>\(esc(r.service))</td></tr>\n"
        }
        return h + "</table>\n"
    }

    private static func errors(_ list: [String]) -> String {
        list.isEmpty ? "" : "<br><small>" + list.map(esc).joined(separator: "<br>") + "</small>"
    }

    /// HTML text escaping: names and rules come from configuration files and container labels.
    static func esc(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for c in s {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(c)
            }
        }
        return out
    }
}
