// The Docker and Swarm providers in the running appliance: its routes join the other providers', and each change it
// reports rebuilds only the dynamic half — a new route table swapped in at once (requests in flight finish on
// the table they started with, no connection is closed), the problems listed once in the log and in
// `show config-errors`, and the auto-DNS names republished.
import Config
import DNS
import Discovery
import JSON
import Proxy
import Stats

extension DynamicConfiguration {
    /// Starts, restarts (other endpoint or options) or stops the Docker and Swarm providers to match `setup`.
    func applyDiscovery(_ setup: ProxySetup) {
        applyDocker(setup.docker)
        applySwarm(setup.swarm)
    }

    private func applyDocker(_ wanted: TraefikDockerProvider?) {
        guard let wanted else {
            if let current = docker {
                current.stop()
                docker = nil
                dockerSnapshot = nil
                install(self.setup, reconfigureTLS: false)
            }
            return
        }
        if let current = docker, current.options == wanted { return }
        docker?.stop()
        docker = nil
        docker = startProvider(wanted) { [unowned self] snapshot in
            let first = self.dockerSnapshot == nil
            self.dockerSnapshot = snapshot
            self.providerUpdated(snapshot, first: first, name: wanted.swarmMode ? "docker (swarmMode)" : "docker")
        }
    }

    /// providers.swarm: a second DockerProvider in Swarm mode, its snapshot beside the Docker provider's.
    private func applySwarm(_ wanted: TraefikDockerProvider?) {
        guard let wanted else {
            if let current = swarm {
                current.stop()
                swarm = nil
                swarmSnapshot = nil
                install(self.setup, reconfigureTLS: false)
            }
            return
        }
        if let current = swarm, current.options == wanted { return }
        swarm?.stop()
        swarm = nil
        swarm = startProvider(wanted) { [unowned self] snapshot in
            let first = self.swarmSnapshot == nil
            self.swarmSnapshot = snapshot
            self.providerUpdated(snapshot, first: first, name: "swarm")
        }
        swarm?.onSwarmListing = { [unowned self] networks, services, tasks in self.swarmListing?(networks, services, tasks) }
    }

    private func startProvider(_ wanted: TraefikDockerProvider, _ onUpdate: @escaping (DockerProvider.Snapshot) -> Void) -> DockerProvider? {
        let label = wanted.name == "swarm" ? "swarm" : "docker"
        let provider: DockerProvider
        do {
            provider = try DockerProvider(options: wanted, loop: loop, onUpdate: onUpdate)
        } catch {
            log.error("\(label): \(error); provider not started")
            return nil
        }
        log.info(wanted.swarmMode ? "\(label): polling \(wanted.endpoint) every \(wanted.refreshSeconds.seconds) s (Swarm services)" : "\(label): watching \(wanted.endpoint)")
        provider.start()
        return provider
    }

    private func providerUpdated(_ snapshot: DockerProvider.Snapshot, first: Bool, name: String) {
        install(setup, reconfigureTLS: false)
        providerChanged(.docker)
        publishNames()
        if first {
            let what = name == "docker" ? "running containers" : "running tasks"
            log.info("\(name): \(snapshot.containers) \(what), \(snapshot.config.httpRouters.count) HTTP routers")
        }
    }

    /// Replaces the names published in the DNS zone with those of the current routers' Host rules.
    func publishNames() {
        guard let dns = dns() else { return }
        var hosts: [String] = []
        for config in setup.allDynamic {
            for router in config.httpRouters.values.sorted(by: { $0.name < $1.name }) {
                if let rule = router.rule { hosts += CertificateDemand.hostNames(rule: rule, syntax: router.ruleSyntax ?? setup.defaultSyntax) }
            }
        }
        let names = autoDNS.publishedNames(hosts: hosts, dns: dns.settings)
        if names != publishedNames {
            dns.swapZone(dns.zone.replacingPublishedNames(names))
            publishedNames = names
        }
    }

    /// `show info` → "docker" and "swarm": the endpoint, whether the provider is in step with the daemon,
    /// and what it gave (absent without the provider).
    func writeDockerInfo(into w: inout JSONWriter) {
        for (key, provider, snapshot) in [("docker", docker, dockerSnapshot), ("swarm", swarm, swarmSnapshot)] {
            guard let provider else { continue }
            w.key(key)
            w.beginObject()
            w.field("endpoint", provider.options.endpoint)
            w.field("synchronised", provider.isSynchronised)
            w.field(provider.options.swarmMode ? "tasks" : "containers", snapshot?.containers ?? 0)
            w.field("http_routers", snapshot?.config.httpRouters.count ?? 0)
            w.field("tcp_routers", snapshot?.config.tcpRouters.count ?? 0)
            w.field("problems", snapshot?.problems.count ?? 0)
            w.field("published_names", publishedNames.count)
            w.endObject()
        }
    }
}
