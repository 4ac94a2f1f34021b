// Several containers' configurations → the Docker provider's one, as Traefik's provider.Merge does:
// a service defined by several containers with the same settings gets all their servers (replicas); a
// router, middleware or service defined differently by two containers is dropped and reported (Traefik:
// "defined multiple times with different configurations"); the same definition twice is kept once.
import Config

public enum DockerConfigMerge {
    /// `parts` are (container name, configuration), merged in container-name order so the result does not
    /// depend on Docker's listing order.
    public static func merge(_ parts: [(container: String, config: TraefikDynamicConfig)], provider: String = "docker") -> (TraefikDynamicConfig, [ContainerProblem]) {
        var result = TraefikDynamicConfig(provider: provider)
        var problems: [ContainerProblem] = []
        var conflicts = Conflicts()
        for (container, part) in parts.sorted(by: { $0.container < $1.container }) {
            mergeSame(part.httpRouters, into: &result.httpRouters, kind: "router", container, &conflicts, equal: same)
            mergeSame(part.httpMiddlewares, into: &result.httpMiddlewares, kind: "middleware", container, &conflicts, equal: same)
            mergeSame(part.serversTransports, into: &result.serversTransports, kind: "serversTransport", container, &conflicts) { a, b in
                var b = b
                b.location = a.location
                return a == b
            }
            mergeSame(part.tcpRouters, into: &result.tcpRouters, kind: "TCP router", container, &conflicts, equal: same)
            mergeSame(part.tcpMiddlewares, into: &result.tcpMiddlewares, kind: "TCP middleware", container, &conflicts, equal: same)
            mergeSame(part.udpRouters, into: &result.udpRouters, kind: "UDP router", container, &conflicts, equal: same)
            for (name, service) in part.udpServices {
                conflicts.own("UDP service", name, container)
                guard let existing = result.udpServices[name] else {
                    result.udpServices[name] = service
                    continue
                }
                // Replicas: load balancers' servers are joined (Traefik's UDPServersLoadBalancer.Merge).
                if case .loadBalancer(let a) = existing.kind, case .loadBalancer(let b) = service.kind {
                    result.udpServices[name]?.kind = .loadBalancer(servers: a + b.filter { !a.contains($0) })
                } else if !same(existing, service) {
                    conflicts.dropped.insert("UDP service\u{0}" + name)
                }
            }
            for (name, service) in part.httpServices {
                guard let existing = result.httpServices[name] else {
                    result.httpServices[name] = service
                    conflicts.own("service", name, container)
                    continue
                }
                conflicts.own("service", name, container)
                if case .loadBalancer(var a) = existing.kind, case .loadBalancer(let b) = service.kind, sameBalancer(a, b) {
                    for server in b.servers where !a.servers.contains(server) { a.servers.append(server) }
                    result.httpServices[name]?.kind = .loadBalancer(a)
                } else if !same(existing, service) {
                    conflicts.dropped.insert("service\u{0}" + name)
                }
            }
            for (name, service) in part.tcpServices {
                guard var existing = result.tcpServices[name] else {
                    result.tcpServices[name] = service
                    conflicts.own("TCP service", name, container)
                    continue
                }
                conflicts.own("TCP service", name, container)
                if existing.serversTransport == service.serversTransport {
                    for server in service.servers where !existing.servers.contains(server) { existing.servers.append(server) }
                    result.tcpServices[name] = existing
                } else {
                    conflicts.dropped.insert("TCP service\u{0}" + name)
                }
            }
        }
        for entry in conflicts.dropped.sorted() {
            let parts = entry.split(separator: "\u{0}", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { continue }
            let (kind, name) = (parts[0], parts[1])
            switch kind {
            case "router": result.httpRouters[name] = nil
            case "middleware": result.httpMiddlewares[name] = nil
            case "serversTransport": result.serversTransports[name] = nil
            case "TCP router": result.tcpRouters[name] = nil
            case "TCP middleware": result.tcpMiddlewares[name] = nil
            case "service": result.httpServices[name] = nil
            case "UDP router": result.udpRouters[name] = nil
            case "UDP service": result.udpServices[name] = nil
            default: result.tcpServices[name] = nil
            }
            let owners = conflicts.owners[entry] ?? []
            problems.append(ContainerProblem(container: owners.joined(separator: ", "), label: nil,
                                             message: "\(kind) \(name) is defined differently by several containers; dropped"))
        }
        return (result, problems)
    }

    /// Keys are "kind\u{0}name".
    private struct Conflicts {
        var owners: [String: [String]] = [:]
        var dropped: Set<String> = []

        mutating func own(_ kind: String, _ name: String, _ container: String) {
            let key = kind + "\u{0}" + name
            if owners[key]?.contains(container) != true { owners[key, default: []].append(container) }
        }
    }

    /// Adds each entry; a second, different definition of a name marks it dropped.
    private static func mergeSame<T>(_ entries: [String: T], into target: inout [String: T], kind: String,
                                     _ container: String, _ conflicts: inout Conflicts, equal: (T, T) -> Bool) {
        for (name, entry) in entries {
            conflicts.own(kind, name, container)
            guard let existing = target[name] else {
                target[name] = entry
                continue
            }
            if !equal(existing, entry) { conflicts.dropped.insert(kind + "\u{0}" + name) }
        }
    }

    /// Equal but for where they were written (each container is its own origin).
    static func same<T: Hashable & LocatedEntry>(_ a: T, _ b: T) -> Bool {
        var b = b
        b.location = a.location
        return a == b
    }

    static func sameBalancer(_ a: TraefikLoadBalancer, _ b: TraefikLoadBalancer) -> Bool {
        var b = b
        b.servers = a.servers
        return a == b
    }
}

/// Entries that remember their origin.
public protocol LocatedEntry {
    var location: SourceLocation { get set }
}

extension TraefikHTTPRouter: LocatedEntry {}
extension TraefikHTTPService: LocatedEntry {}
extension TraefikMiddleware: LocatedEntry {}
extension TraefikTCPRouter: LocatedEntry {}
extension TraefikTCPService: LocatedEntry {}
extension TraefikUDPRouter: LocatedEntry {}
extension TraefikUDPService: LocatedEntry {}
