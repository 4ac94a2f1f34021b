// From the dynamic configuration and the tables built from it to the API's runtime view. Statuses follow
// Traefik's runtime configuration: an entry the proxy serves is "enabled", or "warning" when something
// about it was reported; an entry that was skipped is "disabled" with the reasons in `error`.
import Config

public enum APIStateBuilder {
    /// "file:line" of a file's entry, the container's origin ("docker container web") of a label's.
    static func origin(_ location: SourceLocation) -> String {
        location.line > 0 ? "\(location.file):\(location.line)" : location.file
    }

    /// `problems`: every line the table builders and decoders reported (they name the entry they concern).
    public static func build(configs: [TraefikDynamicConfig], table: RouteTable, tcpTable: TCPRouteTable,
                             problems: [String], facts: APIStaticFacts) -> APIState {
        var state = APIState(facts: facts, servedServices: Dictionary(table.services.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a }))
        let epNames = facts.entryPoints.map(\.name)
        // Traefik attaches a router without entry points to every entry point but its own `traefik` one.
        let defaults = epNames.count > 1 ? epNames.filter { $0 != "traefik" } : epNames
        let installed = Dictionary(table.routes.map { ($0.name, $0.priority) }, uniquingKeysWith: { a, _ in a })
        let installedTCP = Dictionary(tcpTable.routes.map { ($0.name, $0.priority) }, uniquingKeysWith: { a, _ in a })

        for c in configs {
            for (name, r) in c.httpRouters {
                let errors = ProblemLines.messages(problems, kind: "router", name: name)
                let eps = r.entryPoints.isEmpty ? defaults : r.entryPoints
                let rule = r.rule ?? ""
                state.httpRouters.append(APIRouter(
                    name: name, provider: c.provider, entryPoints: eps, middlewares: r.middlewares,
                    service: r.service.map { TraefikDynamicConfig.unqualify($0, provider: c.provider) } ?? "", rule: rule,
                    ruleSyntax: r.ruleSyntax?.rawValue, priority: installed[name].map(Int64.init) ?? (r.priority != 0 ? r.priority : Int64(rule.count)),
                    tls: r.tls, errors: errors, status: status(installed[name] != nil, errors),
                    using: eps.filter(epNames.contains), origin: origin(r.location)))
            }
            for (name, r) in c.tcpRouters {
                let errors = ProblemLines.messages(problems, kind: "TCP router", name: name)
                let eps = r.entryPoints.isEmpty ? defaults : r.entryPoints
                state.tcpRouters.append(APIRouter(
                    name: name, provider: c.provider, entryPoints: eps, middlewares: r.middlewares,
                    service: r.service.map { TraefikDynamicConfig.unqualify($0, provider: c.provider) } ?? "", rule: r.rule,
                    ruleSyntax: r.ruleSyntax?.rawValue, priority: installedTCP[name].map(Int64.init) ?? (r.priority != 0 ? r.priority : Int64(r.rule.count)),
                    tls: r.tls, errors: errors, status: status(installedTCP[name] != nil, errors),
                    using: eps.filter(epNames.contains), isTCP: true, origin: origin(r.location)))
            }
        }
        addInternalRouters(&state)
        addUDP(configs, entryPoints: facts.udpEntryPoints.map(\.name), &state)

        let installedServices = Set(table.services.map(\.name))
        let installedTCPServices = Set(tcpTable.services.map(\.name))
        for c in configs {
            for (name, s) in c.httpServices {
                var errors = ProblemLines.messages(problems, kind: "service", name: name)
                let kind: APIService.Kind
                switch s.kind {
                case .loadBalancer(let lb): kind = .loadBalancer(lb)
                case .weighted(let w): kind = .weighted(w)
                case .failover(let f): kind = .failover(f)
                case .mirroring(let m): kind = .mirroring(m)
                case .highestRandomWeight(let h): kind = .highestRandomWeight(h)
                }
                if errors.isEmpty && !installedServices.contains(name) { errors = ["not served by stoep"] }
                state.httpServices.append(APIService(name: name, provider: c.provider, kind: kind,
                                                     status: status(installedServices.contains(name), errors), errors: errors, usedBy: []))
            }
            for (name, s) in c.tcpServices {
                let errors = ProblemLines.messages(problems, kind: "TCP service", name: name)
                state.tcpServices.append(APIService(name: name, provider: c.provider, kind: .tcp(s),
                                                    status: status(installedTCPServices.contains(name), errors), errors: errors, usedBy: []))
            }
            for (name, m) in c.httpMiddlewares {
                let errors = ProblemLines.messages(problems, kind: "middleware", name: name)
                state.httpMiddlewares.append(APIMiddleware(name: name, provider: c.provider, kind: m.kind, status: errors.isEmpty ? "enabled" : "disabled",
                                                           errors: errors, usedBy: []))
            }
            for (name, m) in c.tcpMiddlewares {
                state.tcpMiddlewares.append(APIMiddleware(name: name, provider: c.provider, kind: m.kind, status: "enabled", errors: [], usedBy: []))
            }
        }
        addInternalServices(&state)
        link(&state)
        state.httpRouters.sort { $0.name < $1.name }
        state.tcpRouters.sort { $0.name < $1.name }
        state.httpServices.sort { $0.name < $1.name }
        state.tcpServices.sort { $0.name < $1.name }
        state.httpMiddlewares.sort { $0.name < $1.name }
        state.tcpMiddlewares.sort { $0.name < $1.name }
        return state
    }

    private static func status(_ served: Bool, _ errors: [String]) -> String {
        served ? (errors.isEmpty ? "enabled" : "warning") : "disabled"
    }

    /// The routers Traefik makes itself: api/dashboard with `api.insecure`, prometheus unless manualRouting.
    private static func addInternalRouters(_ state: inout APIState) {
        let facts = state.facts
        if let api = facts.api, api.insecure {
            state.httpRouters.append(internalRouter("api@internal", service: "api@internal", rule: "PathPrefix(`/api`)",
                                                    priority: Int64.max - 1, entryPoint: "traefik"))
            if api.dashboard {
                var r = internalRouter("dashboard@internal", service: "dashboard@internal", rule: "PathPrefix(`/`)",
                                       priority: Int64.max - 2, entryPoint: "traefik")
                r.middlewares = ["dashboard_redirect@internal", "dashboard_stripprefix@internal"]
                state.httpRouters.append(r)
            }
        }
        if let p = facts.prometheus, !p.manualRouting {
            state.httpRouters.append(internalRouter("prometheus@internal", service: "prometheus@internal",
                                                    rule: "PathPrefix(`/metrics`)", priority: Int64.max, entryPoint: p.entryPoint))
        }
        if let p = facts.ping, !p.manualRouting {
            state.httpRouters.append(internalRouter("ping@internal", service: "ping@internal",
                                                    rule: "PathPrefix(`/ping`)", priority: Int64.max, entryPoint: p.entryPoint))
        }
        if !facts.acmeHTTPEntryPoints.isEmpty {
            var r = internalRouter("acme-http@internal", service: "acme-http@internal", rule: "PathPrefix(`/.well-known/acme-challenge/`)",
                                   priority: Int64.max, entryPoint: facts.acmeHTTPEntryPoints[0])
            r.entryPoints = facts.acmeHTTPEntryPoints
            r.using = facts.acmeHTTPEntryPoints
            state.httpRouters.append(r)
        }
    }

    private static func internalRouter(_ name: String, service: String, rule: String, priority: Int64, entryPoint: String) -> APIRouter {
        APIRouter(name: name, provider: "internal", entryPoints: [entryPoint], middlewares: [], service: service, rule: rule,
                  ruleSyntax: "default", priority: priority, tls: nil, errors: [], status: "enabled", using: [entryPoint])
    }

    private static func addInternalServices(_ state: inout APIState) {
        var names = ["noop@internal"]
        if let api = state.facts.api {
            names += ["api@internal", "dashboard@internal"]
            if api.insecure && api.dashboard {
                state.httpMiddlewares.append(APIMiddleware(
                    name: "dashboard_redirect@internal", provider: "internal", kind: nil,
                    internalConfig: ("redirectregex", #"{"regex":"^(http:\\/\\/(\\[[\\w:.]+\\]|[\\w\\._-]+)(:\\d+)?)\\/$","replacement":"${1}/dashboard/","permanent":true}"#),
                    status: "enabled", errors: [], usedBy: []))
                state.httpMiddlewares.append(APIMiddleware(
                    name: "dashboard_stripprefix@internal", provider: "internal", kind: nil,
                    internalConfig: ("stripprefix", #"{"prefixes":["/dashboard/","/dashboard"]}"#), status: "enabled", errors: [], usedBy: []))
            }
        }
        if state.facts.prometheus != nil { names.append("prometheus@internal") }
        if state.facts.ping != nil { names.append("ping@internal") }
        if !state.facts.acmeHTTPEntryPoints.isEmpty { names.append("acme-http@internal") }
        for n in names {
            state.httpServices.append(APIService(name: n, provider: "internal", kind: .internalService, status: "enabled", errors: [], usedBy: []))
        }
    }

    /// Fills `usedBy`: the routers naming each service and middleware (qualified names).
    private static func link(_ state: inout APIState) {
        func qualified(_ r: APIRouter, _ ref: String) -> String { ref.contains("@") ? ref : ref + "@" + r.provider }
        var serviceUsers: [String: [String]] = [:], middlewareUsers: [String: [String]] = [:]
        var tcpServiceUsers: [String: [String]] = [:], tcpMiddlewareUsers: [String: [String]] = [:]
        for r in state.httpRouters {
            serviceUsers[qualified(r, r.service), default: []].append(r.name)
            for m in r.middlewares { middlewareUsers[m, default: []].append(r.name) }
        }
        for r in state.tcpRouters {
            tcpServiceUsers[qualified(r, r.service), default: []].append(r.name)
            for m in r.middlewares { tcpMiddlewareUsers[m, default: []].append(r.name) }
        }
        for i in state.httpServices.indices { state.httpServices[i].usedBy = (serviceUsers[state.httpServices[i].name] ?? []).sorted() }
        for i in state.tcpServices.indices { state.tcpServices[i].usedBy = (tcpServiceUsers[state.tcpServices[i].name] ?? []).sorted() }
        for i in state.httpMiddlewares.indices { state.httpMiddlewares[i].usedBy = (middlewareUsers[state.httpMiddlewares[i].name] ?? []).sorted() }
        for i in state.tcpMiddlewares.indices { state.tcpMiddlewares[i].usedBy = (tcpMiddlewareUsers[state.tcpMiddlewares[i].name] ?? []).sorted() }
    }
}
