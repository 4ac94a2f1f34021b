// The configuration half of /dashboard/live.json: routers and services as the dashboard shows them, in
// one flat shape whatever their protocol or kind, so the page draws one table for each (schema in
// docs/api.md). Written from the API state (built once per configuration change) and the live server
// health, on request only: nothing is kept for it between requests.
import Config
import JSON

enum DashboardLiveJSON {
    /// Writes the members "routers" and "services" into the open object `w`.
    static func writeConfiguration(_ state: APIState, health: (String) -> String?, into w: inout JSONWriter) {
        w.key("routers")
        w.beginArray()
        for r in state.httpRouters { router(r, kind: "http", &w) }
        for r in state.tcpRouters { router(r, kind: "tcp", &w) }
        for r in state.udpRouters {
            w.beginObject()
            w.field("name", r.name)
            w.field("kind", "udp")
            w.field("status", r.status)
            w.field("rule", "")
            APIJSON.strings("entry_points", r.using, &w)
            APIJSON.strings("middlewares", [], &w)
            w.field("service", r.service)
            w.field("provider", r.provider)
            w.field("origin", "")
            APIJSON.strings("errors", r.errors, &w)
            w.endObject()
        }
        w.endArray()
        w.key("services")
        w.beginArray()
        for s in state.httpServices { service(s, kind: "http", health: health, &w) }
        for s in state.tcpServices { service(s, kind: "tcp", health: health, &w) }
        w.endArray()
    }

    private static func router(_ r: APIRouter, kind: String, _ w: inout JSONWriter) {
        w.beginObject()
        w.field("name", r.name)
        w.field("kind", kind)
        w.field("status", r.status)
        w.field("rule", r.rule)
        APIJSON.strings("entry_points", r.using, &w)
        APIJSON.strings("middlewares", r.middlewares, &w)
        w.field("service", r.service)
        if let tls = r.tls {
            // One line: what a volunteer needs to know (passthrough, which resolver or options).
            var parts: [String] = []
            if tls.passthrough { parts.append("passthrough") }
            if let resolver = tls.certResolver { parts.append("resolver " + resolver) }
            if let options = tls.options { parts.append("options " + options) }
            w.field("tls", parts.isEmpty ? "on" : parts.joined(separator: ", "))
        }
        w.field("provider", r.provider)
        w.field("origin", r.origin)
        APIJSON.strings("errors", r.errors, &w)
        w.endObject()
    }

    private static func service(_ s: APIService, kind: String, health: (String) -> String?, _ w: inout JSONWriter) {
        w.beginObject()
        w.field("name", s.name)
        w.field("kind", kind)
        w.field("status", s.status)
        w.field("provider", s.provider)
        w.key("servers")
        w.beginArray()
        // A server's status is "UP"/"DOWN" (health checks and passive marks), "" for a service not served.
        func server(_ target: String, weight: Int64?, status: String?) {
            w.beginObject()
            w.field("target", target)
            if let weight { w.field("weight", weight) }
            w.field("status", s.status == "disabled" ? "" : (status ?? "UP"))
            w.endObject()
        }
        switch s.kind {
        case .loadBalancer(let lb):
            for x in lb.servers { server(x.url, weight: x.weight, status: health(x.url)) }
        case .tcp(let t):
            if let weighted = t.weighted {
                for x in weighted { server(x.name, weight: x.weight, status: nil) }
            } else {
                for x in t.servers { server(x.address, weight: nil, status: health(x.address)) }
            }
        case .weighted(let ws), .highestRandomWeight(let ws):
            for x in ws { server(x.name, weight: x.weight, status: nil) }
        case .failover(let f):
            server(f.service, weight: nil, status: nil)
            server(f.fallback, weight: nil, status: nil)
        case .mirroring(let m):
            server(m.service, weight: nil, status: nil)
            for x in m.mirrors { server(x.name, weight: nil, status: nil) }
        case .internalService:
            break
        }
        w.endArray()
        APIJSON.strings("used_by", s.usedBy, &w)
        APIJSON.strings("errors", s.errors, &w)
        w.endObject()
    }
}
