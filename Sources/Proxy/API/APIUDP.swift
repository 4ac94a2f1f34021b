// UDP routers and services in Traefik's API (/api/udp/routers, /api/udp/services, the overview's `udp`),
// shaped as Traefik 3.7 writes them: a router is "enabled" when its service exists, else "disabled" with
// Traefik's error; `using` lists the UDP entry points it attaches to (every one without `entryPoints`).
import Config
import JSON

struct APIUDPRouter {
    var name: String
    var provider: String
    /// As written (empty: none written).
    var entryPoints: [String]
    var service: String
    var errors: [String]
    var status: String
    var using: [String]
}

struct APIUDPService {
    var name: String
    var provider: String
    var kind: TraefikUDPService.Kind
    var status: String
    var usedBy: [String]
}

extension APIStateBuilder {
    /// Adds every UDP router and service of `configs`; `entryPoints`: the UDP entry points' names.
    static func addUDP(_ configs: [TraefikDynamicConfig], entryPoints: [String], _ state: inout APIState) {
        var services: [String: (provider: String, TraefikUDPService)] = [:]
        for c in configs { for (name, s) in c.udpServices { services[name] = (c.provider, s) } }
        var users: [String: [String]] = [:]
        for c in configs {
            for (name, r) in c.udpRouters {
                let qualified = r.service.map { TraefikDynamicConfig.qualify($0, provider: c.provider) } ?? ""
                let exists = services[qualified] != nil
                let errors = r.service == nil ? ["the service is missing on the udp router"]
                    : exists ? [] : ["the UDP service \"\(qualified)\" does not exist"]
                if exists { users[qualified, default: []].append(name) }
                let eps = r.entryPoints.isEmpty ? entryPoints : r.entryPoints
                state.udpRouters.append(APIUDPRouter(
                    name: name, provider: c.provider, entryPoints: r.entryPoints,
                    service: TraefikDynamicConfig.unqualify(qualified, provider: c.provider),
                    errors: errors, status: errors.isEmpty ? "enabled" : "disabled", using: eps.filter(entryPoints.contains)))
            }
        }
        for (name, (provider, s)) in services {
            state.udpServices.append(APIUDPService(name: name, provider: provider, kind: s.kind, status: "enabled",
                                                   usedBy: (users[name] ?? []).sorted()))
        }
        state.udpRouters.sort { $0.name < $1.name }
        state.udpServices.sort { $0.name < $1.name }
    }
}

extension APIJSON {
    static func udpRouter(_ r: APIUDPRouter, _ w: inout JSONWriter) {
        w.beginObject()
        if !r.entryPoints.isEmpty { strings("entryPoints", r.entryPoints, &w) }
        w.field("service", r.service)
        if !r.errors.isEmpty { strings("error", r.errors, &w) }
        w.field("status", r.status)
        if !r.using.isEmpty { strings("using", r.using, &w) }
        w.field("name", r.name)
        w.field("provider", r.provider)
        w.endObject()
    }

    static func udpService(_ s: APIUDPService, _ w: inout JSONWriter) {
        w.beginObject()
        let type: String
        switch s.kind {
        case .loadBalancer(let servers):
            type = "loadbalancer"
            w.key("loadBalancer")
            w.beginObject()
            w.key("servers")
            w.beginArray()
            for address in servers {
                w.beginObject()
                w.field("address", address)
                w.endObject()
            }
            w.endArray()
            w.endObject()
        case .weighted(let members):
            type = "weighted"
            weightedServices("weighted", members.map { (TraefikDynamicConfig.unqualify($0.name, provider: s.provider), Int64($0.weight)) }, &w)
        }
        runtimeInfo(errors: [], status: s.status, usedBy: s.usedBy, name: s.name, provider: s.provider, &w)
        w.field("type", type)
        w.endObject()
    }
}
