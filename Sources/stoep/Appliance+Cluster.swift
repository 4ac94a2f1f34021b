// The appliance on the cluster channel (docs/cluster.md): it starts the channel from `[cluster]`, feeds it
// the Swarm provider's listings (the peers), serves its own `stats` summary to the other nodes, and
// answers `show swarm` (the stats socket) and the dashboard's node view by asking every node.
// The dashboard polls each second; the nodes are asked at most every `swarmViewMaxAge` for it, and the
// page shows the last view (never waits for the network inside a request).
import Cluster
import JSON
import Reactor

extension Appliance {
    /// Nanoseconds a swarm view serves the dashboard before it asks the nodes again.
    static let swarmViewMaxAge: UInt64 = 2_000_000_000

    /// Reads the cluster CA, issues this node's certificate and binds the channel; nothing without `[cluster]`.
    func startCluster(_ loaded: LoadedConfig) throws {
        guard let settings = loaded.cluster else { return }
        let network = settings.network ?? loaded.proxy.swarm?.network ?? ""
        let channel = try ClusterChannel(settings: settings, network: network, nodeName: proxy.serverName, loop: loop)
        channel.register("stats") { [unowned self] _ in .json(self.clusterSummary()) }
        try channel.start()
        dynamic.swarmListing = { [unowned channel] networks, services, tasks in
            channel.updatePeers(networks: networks, services: services, tasks: tasks)
        }
        cluster = channel
        log.info("cluster: listening on \(settings.address) (service \(settings.service ?? "?"), network \(network)); CA \(channel.caFingerprint.prefix(23))…")
    }

    /// This node's row as the others see it: ClusterStats.summed from `show stats`, plus its certificates.
    func clusterSummary() -> [UInt8] {
        var w = JSONWriter()
        writeStats(into: &w)
        let counters = (try? JSONParser.parse(w.bytes))?["counters"] ?? .object([])
        func sum(_ family: JSONValue, _ name: String, where keep: (JSONValue) -> Bool = { _ in true }) -> Int64 {
            (family[name]?.arrayValue ?? []).filter(keep).reduce(0) { $0 &+ ($1["value"]?.int64Value ?? 0) }
        }
        var figures: [String: Int64] = [:]
        for name in ["http_requests", "forward_accepted", "dns_queries", "dns_answered_local", "dns_forwarded", "dns_blocked",
                     "dns_cache_hits", "dns_cache_misses"] {
            figures[name] = sum(counters, name)
        }
        figures["http_responses_5xx"] = sum(counters, "http_responses") { $0["labels"]?["code_class"]?.stringValue == "5xx" }
        figures["open_connections"] = Int64(openConnections)
        figures["rss_bytes"] = Int64(ProcessFacts.residentBytes())
        figures["certificates"] = Int64(tls.servingCertificates.filter { !$0.generated }.count)
        return ClusterStats.summary(nodeName: proxy.serverName, version: Version.text, uptimeSeconds: uptimeSeconds, figures: figures,
                                    extra: [("http_routers", .int(Int64(dynamic.setup.allDynamic.reduce(0) { $0 + $1.httpRouters.count }))),
                                            ("swarm_synchronised", .bool(dynamic.swarm?.isSynchronised ?? false))])
    }

    /// `show info` → "cluster" (absent without `[cluster]`): where the channel listens, what it knows.
    func writeClusterInfo(into w: inout JSONWriter) {
        guard let cluster else { return }
        w.key("cluster")
        w.beginObject()
        w.field("address", cluster.settings.address.description)
        w.field("service", cluster.settings.service ?? "")
        w.field("network", cluster.network)
        w.field("peers", cluster.peers.count)
        w.field("listings", cluster.listings)
        w.field("requests_served", cluster.server.requests)
        w.field("refused_handshakes", cluster.server.refusedHandshakes)
        w.field("certificate_not_after", cluster.certificateNotAfter)
        w.field("ca_fingerprint", cluster.caFingerprint)
        w.key("handlers")
        w.beginArray()
        for name in cluster.server.handlerNames { w.string(name) }
        w.endArray()
        w.endObject()
    }

    /// `show swarm`: every node asked now; `done` gets the document within the channel's timeout.
    func answerSwarm(_ done: @escaping ([UInt8]) -> Void) {
        guard let cluster else {
            var w = JSONWriter()
            w.beginObject()
            w.field("error", "not in a cluster: [cluster] is not configured (docs/cluster.md)")
            w.endObject()
            return done(w.bytes)
        }
        cluster.fetchAll("stats") { [unowned self] answers in
            var w = JSONWriter()
            self.writeSwarmView(answers, into: &w)
            self.swarmView = (w.bytes, self.loop.now)
            done(w.bytes)
        }
    }

    private func writeSwarmView(_ answers: [ClusterAnswer], into w: inout JSONWriter) {
        guard let cluster else { return }
        var view = JSONWriter()
        ClusterStats.view(answers, listed: cluster.listings > 0, into: &view)
        guard case .object(var members)? = try? JSONParser.parse(view.bytes) else { return w.raw(String(decoding: view.bytes, as: UTF8.self)) }
        members.insert(contentsOf: [JSONMember("service", .string(cluster.settings.service ?? "")),
                                    JSONMember("network", .string(cluster.network)),
                                    JSONMember("port", .int(Int64(cluster.settings.address.port))),
                                    JSONMember("timeout_s", .double(cluster.settings.timeout)),
                                    JSONMember("asked_at_s", .int(Int64(wallClockSeconds())))], at: 0)
        JSONValue.object(members).write(into: &w)
    }

    /// The dashboard's `swarm` member: the last view (absent outside a cluster and before the first
    /// answer); asks the nodes again in the background when it is older than `swarmViewMaxAge`.
    func writeDashboardSwarm(into w: inout JSONWriter) {
        guard let cluster else { return }
        if !swarmViewPending, swarmView.map({ loop.now &- $0.at >= Self.swarmViewMaxAge }) ?? true {
            swarmViewPending = true
            cluster.fetchAll("stats") { [unowned self] answers in
                var v = JSONWriter()
                self.writeSwarmView(answers, into: &v)
                self.swarmView = (v.bytes, self.loop.now)
                self.swarmViewPending = false
            }
        }
        guard let view = swarmView else { return }
        w.key("swarm")
        w.raw(String(decoding: view.bytes, as: UTF8.self))
    }
}
