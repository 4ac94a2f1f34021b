// What the static entry points give the routers of every provider, applied to the merged dynamic
// configuration as Traefik 3.7 does before it builds anything:
// - default entry points (cmd/traefik getDefaultsEntrypoints, pkg/server/aggregator mergeConfiguration):
//   an HTTP or TCP router without `entryPoints` gets every non-UDP entry point but `traefik`, or only the
//   `asDefault` ones when any entry point is marked (a marked UDP one counts as "marked" yet is never a
//   default). UDP routers are left alone (they go to every UDP entry point).
// - entry-point `http.middlewares` (pkg/provider/traefik/internal entryPointModels, pkg/server/aggregator
//   applyModel): for each of a router's entry points that has them, the router is copied onto that entry
//   point alone with those names put before its own; the copy is named `EP-NAME` when the router had
//   more than one entry point. Names are kept as written, so an unqualified one resolves in the router's
//   provider, and a missing one makes that copy fail like any missing middleware (not served).
// stoep leaves a router without entry points as it is (every entry point, `traefik` excepted in the
// API) when neither applies, so the plain configuration builds exactly as before.

public struct TraefikEntryPointModels: Sendable, Equatable {
    /// Entry point → its `http.middlewares` (only entry points that have some).
    public var middlewares: [String: [String]] = [:]
    /// Traefik's default entry points, sorted (non-UDP, not `traefik`; the `asDefault` ones when any is marked).
    public var defaultEntryPoints: [String] = []
    /// True when some entry point is marked `asDefault` (then routers without entry points get the defaults).
    public var hasMarkedDefaults = false

    public init() {}

    /// `entryPoints`: every static entry point (TCP and UDP); `extraNames`: entry points defined
    /// elsewhere (stoep's own TOML, Traefik's implicit `traefik`), which count as unmarked TCP ones.
    public init(_ entryPoints: [TraefikEntryPoint], extraNames: [String] = []) {
        hasMarkedDefaults = entryPoints.contains { $0.asDefault }
        var defaults = Set<String>()
        for ep in entryPoints where ep.transport != .udp && ep.name != "traefik" && (!hasMarkedDefaults || ep.asDefault) {
            defaults.insert(ep.name)
        }
        if !hasMarkedDefaults {
            for name in extraNames where name != "traefik" && !entryPoints.contains(where: { $0.name == name }) { defaults.insert(name) }
        }
        defaultEntryPoints = defaults.sorted()
        for ep in entryPoints where ep.transport != .udp && !ep.middlewares.isEmpty { middlewares[ep.name] = ep.middlewares }
    }

    /// Nothing to do: the configuration builds as written.
    public var isEmpty: Bool { middlewares.isEmpty && !hasMarkedDefaults }

    public func apply(_ configs: [TraefikDynamicConfig]) -> [TraefikDynamicConfig] {
        guard !isEmpty else { return configs }
        return configs.map { config in
            var c = config
            var routers: [String: TraefikHTTPRouter] = [:]
            for (name, router) in config.httpRouters {
                // With only middlewares to apply, a router without entry points needs the defaults spelt
                // out to find the entry points that have some.
                let eps = router.entryPoints.isEmpty ? defaultEntryPoints : router.entryPoints
                if eps.isEmpty {
                    // Traefik: no default entry point (only a UDP one marked asDefault): served nowhere.
                    continue
                }
                var rest = router
                rest.entryPoints = []
                for ep in eps {
                    if let before = middlewares[ep] {
                        var copy = router
                        copy.entryPoints = [ep]
                        copy.middlewares = before + router.middlewares
                        let copyName = eps.count > 1 ? "\(ep)-\(name)" : name
                        copy.name = copyName
                        routers[copyName] = copy
                    } else {
                        rest.entryPoints.append(ep)
                    }
                }
                if !rest.entryPoints.isEmpty {
                    // Without marked defaults and untouched entry points, keep "every entry point" as written.
                    if router.entryPoints.isEmpty && !hasMarkedDefaults && rest.entryPoints.count == eps.count { rest.entryPoints = [] }
                    routers[name] = rest
                }
            }
            c.httpRouters = routers
            if hasMarkedDefaults {
                for (name, router) in c.tcpRouters where router.entryPoints.isEmpty {
                    if defaultEntryPoints.isEmpty {
                        c.tcpRouters[name] = nil
                    } else {
                        c.tcpRouters[name]?.entryPoints = defaultEntryPoints
                    }
                }
            }
            return c
        }
    }
}
