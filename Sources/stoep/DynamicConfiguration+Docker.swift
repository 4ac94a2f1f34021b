// The Docker provider in the running appliance: its routes join the other providers', and each change it
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
    /// Starts, restarts (other endpoint or options) or stops the Docker provider to match `setup`.
    func applyDiscovery(_ setup: ProxySetup) {
        guard let wanted = setup.docker else {
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
        let provider: DockerProvider
        do {
            provider = try DockerProvider(options: wanted, loop: loop) { [unowned self] snapshot in
                self.dockerChanged(snapshot)
            }
        } catch {
            log.error("docker: \(error); provider not started")
            return
        }
        docker = provider
        log.info("docker: watching \(wanted.endpoint)")
        provider.start()
    }

    private func dockerChanged(_ snapshot: DockerProvider.Snapshot) {
        let first = dockerSnapshot == nil
        dockerSnapshot = snapshot
        install(setup, reconfigureTLS: false)
        providerChanged(.docker)
        publishNames()
        if first {
            log.info("docker: \(snapshot.containers) running containers, \(snapshot.config.httpRouters.count) HTTP routers")
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

    /// `show info` → "docker": the endpoint, whether the container set is in step with the daemon, and
    /// what it gave (absent without providers.docker).
    func writeDockerInfo(into w: inout JSONWriter) {
        guard let docker else { return }
        w.key("docker")
        w.beginObject()
        w.field("endpoint", docker.options.endpoint)
        w.field("synchronised", docker.isSynchronised)
        w.field("containers", dockerSnapshot?.containers ?? 0)
        w.field("http_routers", dockerSnapshot?.config.httpRouters.count ?? 0)
        w.field("tcp_routers", dockerSnapshot?.config.tcpRouters.count ?? 0)
        w.field("problems", dockerSnapshot?.problems.count ?? 0)
        w.field("published_names", publishedNames.count)
        w.endObject()
    }
}
