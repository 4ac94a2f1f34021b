// ACME certificates shared across a swarm's stoeps (issue 21; docs/cluster.md, "Certificates across
// nodes"). On when providers.swarm runs beside ACME resolvers and the stack passes the node's id
// (STOEP_NODE_ID={{.Node.ID}}); a lone box never makes one, so its ACME behaviour is unchanged.
//
// - One issuer: only the stoep on the Swarm leader orders (SwarmLeadership, polled with the provider's
//   refresh on the provider's endpoint); the others' resolvers run with ordering off.
// - Every node serves two names on the cluster channel: `certificates` (its resolvers' acme.json entries,
//   acme.json's own layout) and `acme-challenges` (the HTTP-01 and TLS-ALPN-01 answers its orders have
//   live). Every refresh it fetches both from every peer: certificates are merged into its own acme.json
//   by the rule of ACMEStorageMerge (per name set the later notAfter wins, the same on every node) and
//   installed as a renewal is — the TLS termination's watch reads acme.json again; no restart, no
//   dropped connection — and challenges are answered as its own (PeerChallengeAnswers, the peers' source
//   of ForeignChallengeAnswers), since the CA's validation may reach any node. The issuer holds each
//   challenge back (refresh + 2 s) before the CA is asked to validate, so that every peer has fetched it.
import ACME
import Cluster
import Config
import Discovery
import JSON
import Proxy
import Reactor

final class SwarmCertificateSharing {
    /// The environment variable carrying this node's Swarm id (the stack sets it from {{.Node.ID}}).
    static let nodeIDVariable = "STOEP_NODE_ID"
    /// Beyond one refresh, how long the issuer waits for its peers to fetch a challenge.
    static let challengeMargin: UInt64 = 2_000_000_000

    let nodeID: String
    /// The provider options it was made from (a change makes a new one).
    let swarmOptions: TraefikDockerProvider
    private let refresh: UInt64
    private let loop: EventLoop
    private let log: Logger
    private let channel: ClusterChannel
    private var leaderWatch: SwarmLeaderWatch?
    private var timer: Timer?
    private var stopped = false
    /// The resolvers whose storage is shared (set by DynamicConfiguration when they are made).
    weak var resolvers: CertificateResolvers? {
        didSet { configure() }
    }
    private(set) var leadership: SwarmLeadership?
    var isIssuer: Bool { leadership?.isLeader ?? false }
    /// Per peer: the last fetch's outcome (for `show info`).
    private var peerState: [String: String] = [:]
    /// Name sets taken from peers since start.
    private(set) var taken = 0

    init(nodeID: String, swarmOptions: TraefikDockerProvider, loop: EventLoop, log: Logger, channel: ClusterChannel) throws {
        self.nodeID = nodeID
        self.swarmOptions = swarmOptions
        refresh = UInt64(max(1_000_000_000, swarmOptions.refreshSeconds.nanoseconds))
        self.loop = loop
        self.log = log
        self.channel = channel
        let endpoint = try DockerProvider.endpoint(swarmOptions)
        leaderWatch = SwarmLeaderWatch(ownID: nodeID, endpoint: endpoint, refresh: refresh, loop: loop) { [unowned self] verdict in
            leadershipChanged(verdict)
        }
        // The channel has no unregister: the handlers of a sharing that stopped answer 404.
        channel.register("certificates") { [weak self] _ in
            guard let self, !stopped else { return .error(404, "certificate sharing is off on this node") }
            return .json(certificatesDocument())
        }
        channel.register("acme-challenges") { [weak self] _ in
            guard let self, !stopped else { return .error(404, "certificate sharing is off on this node") }
            return .json(challengesDocument())
        }
    }

    func start() {
        stopped = false
        log.info("swarm certificates: node \(nodeID); the stoep on the Swarm leader orders, every node shares what it holds")
        leaderWatch?.start()
        exchange()
    }

    func stop() {
        stopped = true
        leaderWatch?.stop()
        if let t = timer { loop.cancel(t) }
        timer = nil
        resolvers?.challengeReadyDelay = nil
    }

    private func leadershipChanged(_ verdict: SwarmLeadership) {
        leadership = verdict
        log.info("swarm certificates: this node is \(verdict)\(verdict.isLeader ? "; it orders" : "; it orders nothing")")
        configure()
    }

    /// Makes the resolvers match the verdict: ordering only on the issuer, challenges held back there.
    private func configure() {
        guard let resolvers else { return }
        let refresh = refresh
        resolvers.challengeReadyDelay = { [loop] ready in
            loop.schedule(Timer { _ in ready() }, after: refresh + Self.challengeMargin)
        }
        resolvers.ordering = isIssuer
    }

    // MARK: - Serving

    /// `certificates`: this node's resolvers' entries of acme.json, in acme.json's layout (the account
    /// included: a node that becomes the issuer goes on with the same account).
    func certificatesDocument() -> [UInt8] {
        var document = ACMEStorageDocument()
        for (path, names) in storages() {
            document.merge(Self.read(path), resolvers: names)
        }
        return document.serialized()
    }

    /// `acme-challenges`: {"http-01": [{"token", "domain", "keyAuthorization"}], "tls-alpn-01": [{"domain",
    /// "keyAuthorization"}]} — the answers of the orders this node has live.
    func challengesDocument() -> [UInt8] {
        var w = JSONWriter()
        w.beginObject()
        w.key("http-01")
        w.beginArray()
        for p in resolvers?.http01.pending ?? [] {
            w.beginObject()
            w.field("token", p.token)
            w.field("domain", p.domain)
            w.field("keyAuthorization", p.keyAuthorization)
            w.endObject()
        }
        w.endArray()
        w.key("tls-alpn-01")
        w.beginArray()
        for solver in resolvers?.tlsALPNSolvers ?? [] {
            for (domain, keyAuthorization) in solver.pending.sorted(by: { $0.key < $1.key }) {
                w.beginObject()
                w.field("domain", domain)
                w.field("keyAuthorization", keyAuthorization)
                w.endObject()
            }
        }
        w.endArray()
        w.endObject()
        return w.bytes
    }

    // MARK: - Receiving

    /// Every refresh: both names from every peer, then the next round.
    private func exchange() {
        guard !stopped else { return }
        let peers = channel.peers.filter { !channel.isSelf($0) }
        var http: [(token: String, domain: String, keyAuthorization: String)] = []
        var alpn: [String: String] = [:]
        var waiting = peers.count * 2
        func finished() {
            waiting -= 1
            guard waiting == 0, !stopped else { return }
            resolvers?.foreignChallenges.peers.replaceHTTP(http)
            resolvers?.foreignChallenges.peers.replaceALPN(alpn)
            schedule()
        }
        guard waiting > 0 else {
            resolvers?.foreignChallenges.peers.replaceHTTP([])
            resolvers?.foreignChallenges.peers.replaceALPN([:])
            return schedule()
        }
        for peer in peers {
            channel.fetch("certificates", from: peer) { [weak self] result in
                guard let self else { return }
                switch result {
                case .success(let body):
                    peerState[peer.description] = "ok"
                    take(body, from: peer.description)
                case .failure(let why):
                    peerState[peer.description] = why.description
                }
                finished()
            }
            channel.fetch("acme-challenges", from: peer) { [weak self] result in
                guard self != nil else { return }
                if case .success(let body) = result, let doc = try? JSONParser.parse(body) {
                    for e in doc["http-01"]?.arrayValue ?? [] {
                        guard let t = e["token"]?.stringValue, let d = e["domain"]?.stringValue,
                              let k = e["keyAuthorization"]?.stringValue else { continue }
                        http.append((t, d, k))
                    }
                    for e in doc["tls-alpn-01"]?.arrayValue ?? [] {
                        guard let d = e["domain"]?.stringValue, let k = e["keyAuthorization"]?.stringValue else { continue }
                        alpn[d] = k
                    }
                }
                finished()
            }
        }
    }

    private func schedule() {
        guard !stopped else { return }
        let t = Timer { [weak self] _ in
            self?.timer = nil
            self?.exchange()
        }
        timer = t
        loop.schedule(t, after: refresh)
    }

    /// Merges a peer's `certificates` document into each storage file; a file that changed is written
    /// (atomically, 0600) and the TLS termination's watch installs what it now holds.
    func take(_ body: [UInt8], from peer: String) {
        let (theirs, problems) = ACMEStorageDocument.parse(body, path: "peer \(peer)")
        for p in problems { log.warning("swarm certificates: \(p)") }
        for (path, names) in storages() {
            var mine = Self.read(path)
            let outcome = mine.merge(theirs, resolvers: names)
            guard outcome.changed else { continue }
            do {
                try writeFileAtomically(path: path, bytes: mine.serialized(), mode: 0o600)
            } catch {
                log.warning("swarm certificates: \(path): cannot write (\(error)); \(peer)'s certificates not kept")
                continue
            }
            taken += outcome.taken.count
            for names in outcome.taken { log.info("swarm certificates: certificate for \(names.joined(separator: ", ")) taken from \(peer)") }
            for r in outcome.accountsTaken { log.info("swarm certificates: ACME account of \(r) taken from \(peer)") }
        }
    }

    /// Storage file → the resolvers stored there.
    private func storages() -> [(String, Set<String>)] {
        var byPath: [String: Set<String>] = [:]
        for (resolver, storage) in resolvers?.acmeStorages ?? [] { byPath[storage, default: []].insert(resolver) }
        return byPath.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }

    private static func read(_ path: String) -> ACMEStorageDocument {
        guard case .success(let bytes) = readWholeFile(path) else { return ACMEStorageDocument() }
        return ACMEStorageDocument.parse(bytes, path: path).0
    }

    /// `show info` → "swarm_certificates".
    func writeInfo(into w: inout JSONWriter) {
        w.key("swarm_certificates")
        w.beginObject()
        w.field("node", nodeID)
        w.field("leadership", leadership?.description ?? "not known yet")
        w.field("issuer", isIssuer)
        w.field("taken", taken)
        w.key("peers")
        w.beginObject()
        for (peer, state) in peerState.sorted(by: { $0.key < $1.key }) { w.field(peer, state) }
        w.endObject()
        w.endObject()
    }
}
