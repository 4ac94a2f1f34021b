// Certificate sharing across a swarm's stoeps (SwarmCertificateSharing; docs/cluster.md) made, kept or
// stopped to match the configuration: on with providers.swarm, an ACME resolver, the node's id in
// STOEP_NODE_ID and the cluster channel. Missing the id or the channel, each node orders for itself as a
// lone box does — said once in the log, since a swarm of issuers asks the CA N times per name.
import Cluster
import Config
import Proxy

extension DynamicConfiguration {
    /// Called after the resolvers are made or kept, before the routers' wants reach them (a follower's
    /// resolvers must not order even once).
    func applyCertificateSharing(_ setup: ProxySetup, resolvers: CertificateResolvers?) {
        let hasACME = !(resolvers?.acmeStorages.isEmpty ?? true)
        guard let swarm = setup.swarm, hasACME, let resolvers else {
            stopCertificateSharing(resolvers)
            return
        }
        if !swarmNodeID.isEmpty && clusterWanted && clusterChannel() == nil {
            // [cluster] is configured but not started yet (it starts after the first configuration):
            // nothing is ordered until the channel and the leader are known.
            resolvers.ordering = false
            return
        }
        guard !swarmNodeID.isEmpty, let channel = clusterChannel() else {
            stopCertificateSharing(resolvers)
            let why = swarmNodeID.isEmpty ? "\(SwarmCertificateSharing.nodeIDVariable) is not set (the stack passes {{.Node.ID}})"
                                          : "the cluster channel is not configured"
            let line = "swarm certificates: \(why); this node orders its own certificates as a lone box does (docs/cluster.md)"
            if line != certificateSharingWarning {
                log.warning(line)
                certificateSharingWarning = line
            }
            return
        }
        if let current = certificateSharing, current.swarmOptions == swarm, current.nodeID == swarmNodeID {
            if current.resolvers !== resolvers { current.resolvers = resolvers }
            return
        }
        certificateSharing?.stop()
        certificateSharing = nil
        do {
            let sharing = try SwarmCertificateSharing(nodeID: swarmNodeID, swarmOptions: swarm, loop: loop, log: log, channel: channel)
            sharing.resolvers = resolvers
            certificateSharing = sharing
            sharing.start()
        } catch {
            log.error("swarm certificates: \(error); this node orders nothing")
            resolvers.ordering = false
        }
    }

    /// The cluster channel has started: sharing can begin.
    func clusterStarted() {
        applyCertificateSharing(setup, resolvers: certificates?.resolvers)
    }

    private func stopCertificateSharing(_ resolvers: CertificateResolvers?) {
        resolvers?.ordering = true
        guard let sharing = certificateSharing else { return }
        sharing.stop()
        certificateSharing = nil
    }
}
