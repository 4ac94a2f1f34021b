// One container's labels → its part of the Docker provider's dynamic configuration, following Traefik's
// Docker provider step for step (pkg/provider/docker/config.go build, pkg/provider/configuration.go
// BuildRouterConfiguration): enable/exposedByDefault; an implicit service named after the container
// when labels define none; each load balancer's server from `server.port` (else the lowest port the
// container exposes) and `server.scheme` at the container's address; routers without labels → one
// router named after the container; a router without rule gets the default rule, one without service
// the container's only service. The result is decoded by the same decoder as the file provider's, with
// provider "docker". A container whose server cannot be built (no port, no address) is skipped whole and
// reported, as in Traefik.
import Config
import Rules

public struct ContainerConfigBuilder {
    public let settings: DockerProviderSettings
    /// settings.constraints parsed (nil: keep every container). The static decoder refused an expression
    /// that does not parse, so a failure here (a configuration built in code) keeps nothing, as Traefik.
    let constraints: RuleTree<LabelConstraint>?
    let constraintsBroken: Bool

    public init(settings: DockerProviderSettings) {
        self.settings = settings
        do {
            constraints = try LabelConstraint.parse(settings.constraints)
            constraintsBroken = false
        } catch {
            constraints = nil
            constraintsBroken = true
        }
    }

    /// The container's configuration, nil when it is not served (disabled, stopped, unhealthy, or broken),
    /// and the problems found (skips and ignored labels).
    public func build(_ container: DockerContainer) -> (TraefikDynamicConfig?, [ContainerProblem]) {
        var problems: [ContainerProblem] = []
        // A Swarm task is reported under its service's name: every task of a service has its labels, so
        // its problems are the same lines, listed once (SwarmProvider).
        let subjectName = container.service ?? container.name
        let skipped = settings.swarm ? "service skipped" : "container skipped"
        func report(_ label: String?, _ message: String) {
            problems.append(ContainerProblem(container: subjectName, label: label, message: message, subject: settings.subject))
        }
        if settings.swarm {
            // Traefik's extractSwarmLabels: traefik.docker.* (deprecated there) or traefik.swarm.*, not both.
            let lower = container.labels.keys.map { $0.lowercased() }
            if lower.contains(where: { $0.hasPrefix("traefik.docker.") }) && lower.contains(where: { $0.hasPrefix("traefik.swarm.") }) {
                report(nil, "both Docker and Swarm labels are defined (traefik.docker.* and traefik.swarm.*); service skipped")
                return (nil, problems)
            }
        }
        let enableKey = container.labels.keys.first { $0.lowercased() == "traefik.enable" }
        var enabled = settings.exposedByDefault
        if let key = enableKey, let text = container.labels[key] {
            guard let flag = Self.parseBool(text) else {
                report(key, "expected true or false, found \"\(text)\"; \(settings.swarm ? "service" : "container") skipped")
                return (nil, problems)
            }
            enabled = flag
        }
        // Traefik's keepContainer (pkg/provider/docker/config.go): enable, then constraints, then
        // traefik.docker.allownonrunning (which wins over status and health), then running and healthy.
        guard enabled, !constraintsBroken, constraints?.matches(container.labels) ?? true else { return (nil, problems) }
        let allowNonRunning: Bool
        if let key = container.labels.keys.first(where: { $0.lowercased() == "traefik.docker.allownonrunning" }), let text = container.labels[key] {
            guard let flag = Self.parseBool(text) else {
                report(key, "expected true or false, found \"\(text)\"; \(skipped)")
                return (nil, problems)
            }
            allowNonRunning = flag
        } else {
            allowNonRunning = false
        }
        let healthy = container.running && (container.health.isEmpty || container.health == "healthy")
        if !allowNonRunning {
            guard container.running else { return (nil, problems) }
            if !healthy && !settings.allowEmptyServices { return (nil, problems) }
        }

        let origin = "\(settings.subject) \(subjectName)"
        var (root, labelProblems) = LabelTree.build(container.labels, origin: origin)
        for p in labelProblems { report(p.key, p.message + "; label ignored") }
        let serviceName = DockerNames.serviceName(container)
        let location = root.location
        let address = self.address(container)
        /// "host:port" for a service's server: the `server.port` label, else the lowest exposed port (as
        /// Traefik picks it); nil after reporting why the container cannot be served.
        func hostPort(_ label: String, _ server: TOMLTable) -> String? {
            guard let address else {
                report(nil, "no address for the container (network \(network(container) ?? "none") not found); \(skipped)")
                return nil
            }
            guard let port = server.text("port") ?? container.ports.min().map(String.init) else {
                report(label + ".server.port", settings.swarm ? "port is missing (a Swarm service needs this label: the API gives no port of a task); service skipped"
                                                              : "port is missing (no label and the container exposes no port); container skipped")
                return nil
            }
            // useBindPortIP (Traefik's getIPPort): the port's published binding when it names a host IP;
            // an unspecified one (0.0.0.0, ::) or none falls back on the container's own address.
            if settings.useBindPortIP, let binding = container.bindings.first(where: { String($0.port) == port }),
               !binding.hostIP.isEmpty, binding.hostIP != "0.0.0.0", binding.hostIP != "::", !binding.hostPort.isEmpty {
                return Self.join(binding.hostIP, binding.hostPort)
            }
            return Self.join(address, port)
        }

        /// `tcp` or `udp` as Traefik's buildTCPServiceConfiguration / buildUDPServiceConfiguration and
        /// BuildTCPRouterConfiguration / BuildUDPRouterConfiguration: a service named after the container when
        /// labels define none, each load balancer's server from `server.port` (and, for TCP, `server.tls`), a
        /// router without service linked to the only one. nil: the container is skipped (reported).
        func streamSection(_ kind: String, _ section: TOMLTable) -> TOMLTable? {
            var section = section
            var services = section.table("services") ?? TOMLTable(location: location)
            if services.isEmpty {
                services.setTable(serviceName, Self.emptyBalancer(location))
            }
            for (name, node) in services.entries {
                let label = "traefik.\(kind).services.\(name).loadbalancer"
                guard case .table(var service) = node.value, var lb = service.table("loadBalancer") else {
                    report(label, "the service has no load balancer; \(skipped)")
                    return nil
                }
                let server = lb.table("server") ?? TOMLTable(location: location)
                lb.remove("server")
                if healthy {
                    guard let target = hostPort(label, server) else { return nil }
                    var entry = TOMLTable(location: location)
                    entry.set("address", TOMLNode(value: .string(target), location: location))
                    if kind == "tcp", let tls = server.text("tls") { entry.set("tls", TOMLNode(value: .string(tls), location: location)) }
                    lb.set("servers", TOMLNode(value: .array([TOMLNode(value: .table(entry), location: location)]), location: location))
                }
                service.setTable("loadBalancer", lb)
                services.setTable(name, service)
            }
            var routers = section.table("routers") ?? TOMLTable(location: location)
            for (name, node) in routers.entries {
                guard case .table(var router) = node.value, router.text("service") == nil else { continue }
                if services.count > 1 {
                    report("traefik.\(kind).routers.\(name).service", "router cannot be linked automatically with multiple services; router skipped")
                    routers.remove(name)
                    continue
                }
                router.set("service", TOMLNode(value: .string(services.keys[0]), location: location))
                routers.setTable(name, router)
            }
            section.setTable("routers", routers)
            section.setTable("services", services)
            return section
        }
        var tcpOrUDP = false
        for kind in ["tcp", "udp"] {
            guard let section = root.table(kind),
                  !(section.table("routers")?.isEmpty ?? true) || !(section.table("services")?.isEmpty ?? true) else { continue }
            tcpOrUDP = true
            guard let built = streamSection(kind, section) else { return (nil, problems) }
            root.setTable(kind, built)
        }

        var http = root.table("http") ?? TOMLTable(location: location)
        let httpRouters = http.table("routers") ?? TOMLTable(location: location)
        var httpServices = http.table("services") ?? TOMLTable(location: location)
        let httpMiddlewares = http.table("middlewares") ?? TOMLTable(location: location)
        if !(tcpOrUDP && httpRouters.isEmpty && httpMiddlewares.isEmpty && httpServices.isEmpty) {
            if httpServices.isEmpty {
                httpServices.setTable(serviceName, Self.emptyBalancer(location))
            }
            for (name, node) in httpServices.entries {
                let label = "traefik.http.services.\(name).loadbalancer"
                guard case .table(var service) = node.value, var lb = service.table("loadBalancer") else {
                    report(label, "the service has no load balancer (load-balancer is not defined); \(skipped)")
                    return (nil, problems)
                }
                let server = lb.table("server") ?? TOMLTable(location: location)
                lb.remove("server")
                if healthy {
                    guard let target = hostPort(label, server) else { return (nil, problems) }
                    let scheme = server.text("scheme") ?? "http"
                    var entry = TOMLTable(location: location)
                    entry.set("url", TOMLNode(value: .string("\(scheme)://\(target)"), location: location))
                    if let weight = server.text("weight") { entry.set("weight", TOMLNode(value: .string(weight), location: location)) }
                    lb.set("servers", TOMLNode(value: .array([TOMLNode(value: .table(entry), location: location)]), location: location))
                }
                service.setTable("loadBalancer", lb)
                httpServices.setTable(name, service)
            }
            var routers = httpRouters
            if routers.isEmpty {
                if httpServices.count > 1 {
                    report(nil, "could not create a router for the container: too many services")
                } else {
                    routers.setTable(serviceName, TOMLTable(location: location))
                }
            }
            let model = DockerRuleTemplate.Model(name: serviceName, containerName: container.name, labels: container.labels)
            for (name, node) in routers.entries {
                guard case .table(var router) = node.value else { continue }
                if router.text("rule") == nil || router.text("rule") == "" {
                    do {
                        let rule = try settings.defaultRule.render(model)
                        guard !rule.isEmpty else { throw DockerRuleTemplate.Failure(action: "(empty result)") }
                        router.set("rule", TOMLNode(value: .string(rule), location: location))
                    } catch {
                        report("traefik.http.routers.\(name).rule", "no rule and the default rule cannot be used (\(error)); router skipped")
                        routers.remove(name)
                        continue
                    }
                }
                if router.text("service") == nil {
                    if httpServices.count > 1 {
                        report("traefik.http.routers.\(name).service", "router cannot be linked automatically with multiple services (\(httpServices.keys.joined(separator: ", "))); router skipped")
                        routers.remove(name)
                        continue
                    }
                    router.set("service", TOMLNode(value: .string(httpServices.keys[0]), location: location))
                }
                routers.setTable(name, router)
            }
            http.setTable("routers", routers)
            http.setTable("services", httpServices)
            root.setTable("http", http)
        }
        let (config, issues) = TraefikDynamicConfig.decode(root, provider: settings.providerName)
        for issue in issues {
            let verdict = issue.severity == .error ? "; entry skipped" : ""
            report("traefik." + issue.path, issue.message + verdict)
        }
        return (config, problems)
    }

    /// The container's address: the network named by `traefik.docker.network` (`traefik.swarm.network`) or the provider, host
    /// networking → the host address, else its first network; nil when it has none.
    func address(_ container: DockerContainer) -> String? {
        if let wanted = network(container), let match = container.networks.first(where: { $0.name == wanted }), !match.address.isEmpty {
            return match.address
        }
        if container.usesHostNetwork { return settings.hostAddress }
        return container.networks.first { !$0.address.isEmpty }?.address
    }

    func network(_ container: DockerContainer) -> String? {
        if settings.swarm, let key = container.labels.keys.first(where: { $0.lowercased() == "traefik.swarm.network" }) { return container.labels[key] }
        if let key = container.labels.keys.first(where: { $0.lowercased() == "traefik.docker.network" }) { return container.labels[key] }
        return settings.network
    }

    static func emptyBalancer(_ location: SourceLocation) -> TOMLTable {
        var service = TOMLTable(location: location)
        service.set("loadBalancer", TOMLNode(value: .table(TOMLTable(location: location)), location: location))
        return service
    }

    /// host:port, with brackets for an IPv6 host.
    static func join(_ host: String, _ port: String) -> String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    /// Go's strconv.ParseBool, which Traefik uses for `traefik.enable`.
    static func parseBool(_ text: String) -> Bool? {
        switch text {
        case "1", "t", "T", "true", "TRUE", "True": return true
        case "0", "f", "F", "false", "FALSE", "False": return false
        default: return nil
        }
    }
}
