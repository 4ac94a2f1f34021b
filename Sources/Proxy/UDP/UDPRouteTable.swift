// The UDP routing table: for each UDP entry point, the one service its datagrams go to. UDP routers have no
// rule, so an entry point takes one router: Traefik sorts the routers attached to it by name, descending,
// and keeps the first (pkg/server/router/udp/router.go buildEntryPointHandlers), warning when there are more.
import Config
import Reactor

public final class UDPRouteTable {
    /// Entry point name → (router name, service).
    public let routes: [String: (router: String, service: UDPService)]
    public let services: [UDPService]

    init(routes: [String: (router: String, service: UDPService)], services: [UDPService]) {
        self.routes = routes
        self.services = services
    }

    public static var empty: UDPRouteTable { UDPRouteTable(routes: [:], services: []) }
}

public enum UDPRouteTableBuilder {
    /// `entryPointNames`: the UDP entry points. Problems name the file, the router or service, and why.
    public static func build(_ configs: [TraefikDynamicConfig], entryPointNames: [String]) -> (table: UDPRouteTable, problems: [String]) {
        var problems: [String] = []
        var configured: [String: TraefikUDPService] = [:]
        var routers: [String: TraefikUDPRouter] = [:]
        for config in configs {
            configured.merge(config.udpServices) { _, b in b }
            routers.merge(config.udpRouters) { _, b in b }
        }
        var built: [String: UDPService] = [:]
        func service(_ name: String, depth: Int) -> UDPService? {
            if let s = built[name] { return s }
            guard depth < 16, let s = configured[name] else { return nil }
            var members: [(member: UDPService.Member, weight: Int)] = []
            switch s.kind {
            case .loadBalancer(let servers):
                for address in servers {
                    switch TCPUpstreamAddress.resolve(address) {
                    case .success(let resolved):
                        members.append((.server(UDPUpstream(configured: address, address: resolved.upstream.address)), 1))
                        if let ip = resolved.resolvedFrom {
                            problems.append("\(s.location): UDP service \(name): server \(address): warning: host name resolved once, at load time, to \(ip)")
                        }
                    case .failure(let why):
                        problems.append("\(s.location): UDP service \(name): server \(address): \(why); skipped")
                    }
                }
            case .weighted(let children):
                for child in children {
                    guard let c = service(child.name, depth: depth + 1) else {
                        // Traefik fails the whole weighted service when a member cannot be built.
                        problems.append("\(s.location): UDP service \(name): service \(child.name) not found; skipped")
                        return nil
                    }
                    members.append((.service(c), child.weight))
                }
            }
            let result = UDPService(name: name, members: members)
            built[name] = result
            return result
        }
        var attached: [String: [String]] = [:]
        for (name, router) in routers.sorted(by: { $0.key < $1.key }) {
            let prefix = "\(router.location): UDP router \(name)"
            let entryPoints = router.entryPoints.isEmpty ? entryPointNames : router.entryPoints
            var valid = 0
            for ep in entryPoints {
                guard entryPointNames.contains(ep) else {
                    problems.append("\(prefix): entry point \(ep) does not exist (or is not a UDP entry point)")
                    continue
                }
                valid += 1
                attached[ep, default: []].append(name)
            }
            if valid == 0 { problems.append("\(prefix): no valid entry point; skipped") }
        }
        var routes: [String: (router: String, service: UDPService)] = [:]
        for (ep, names) in attached.sorted(by: { $0.key < $1.key }) {
            if names.count > 1 {
                problems.append("UDP entry point \(ep): more than one UDP router (\(names.joined(separator: ", "))); only the one whose name sorts last serves, as in Traefik")
            }
            for name in names.sorted(by: >) {
                let router = routers[name]!
                guard let serviceName = router.service else {
                    problems.append("\(router.location): UDP router \(name): the service is missing on the router; skipped")
                    continue
                }
                guard let s = service(serviceName, depth: 0) else {
                    problems.append("\(router.location): UDP router \(name): UDP service \(serviceName) does not exist or cannot be built; skipped")
                    continue
                }
                routes[ep] = (name, s)
                break
            }
        }
        return (UDPRouteTable(routes: routes, services: built.sorted { $0.key < $1.key }.map(\.value)), problems)
    }
}
