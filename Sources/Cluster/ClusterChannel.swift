// The cluster channel between the stoeps of a swarm (docs/cluster.md, "The cluster channel"): what the
// rest of stoep uses. One per process, built from `[cluster]`:
//   let channel = try ClusterChannel(settings: s, network: n, nodeName: host, loop: loop)
//   channel.register("stats") { request in .json(...) }          // serve a name
//   try channel.start()                                           // bind the overlay address
//   channel.updatePeers(networks:services:tasks:)                 // from every Swarm listing
//   channel.fetch("certificates", from: peer) { result in ... }   // ask one peer
//   channel.fetchAll("stats") { answers in ... }                  // ask every peer (this node too)
// Every request is one HTTPS GET on the loop with the Reactor's TLS client, mutual TLS with this node's
// leaf, bounded by `[cluster] timeout`: an unreachable peer is an answer with its reason, never a hang.
import HTTP
import HTTPClient
import JSON
import PKI
import Reactor

/// One peer's answer to a fetch.
public struct ClusterAnswer {
    public let peer: ClusterPeer
    /// The peer is this process (its address is one of this host's).
    public let isSelf: Bool
    /// The body of a 200 answer, or why there is none ("no complete answer within 2 s", "status 404: …").
    public let result: Result<[UInt8], ClusterFetchError>
    /// Nanoseconds from the request to its end.
    public let elapsed: UInt64

    public init(peer: ClusterPeer, isSelf: Bool, result: Result<[UInt8], ClusterFetchError>, elapsed: UInt64) {
        self.peer = peer
        self.isSelf = isSelf
        self.result = result
        self.elapsed = elapsed
    }
}

public struct ClusterFetchError: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

public final class ClusterChannel {
    public let settings: ClusterSettings
    /// The overlay network peers are reached on (`[cluster] network`, else providers.swarm's).
    public let network: String
    public let nodeName: String
    public let server: ClusterServer
    let loop: EventLoop
    let identity: ClusterIdentity
    /// The running tasks of stoep's service, from the last Swarm listing (empty before the first).
    public private(set) var peers: [ClusterPeer] = []
    /// Swarm listings seen, and when the last one came (monotonic nanoseconds; 0: none yet).
    public private(set) var listings = 0
    public private(set) var lastListing: UInt64 = 0
    private var renewTimer: Timer?
    /// This host's own addresses, to tell which peer is this process; read once (a task keeps its address).
    private lazy var ownAddresses: Set<String> = Self.localAddresses()

    /// Reads the CA secret and issues this node's certificate; nothing is bound yet. Throws with the file
    /// and reason when the secret is missing or not a CA with its key.
    public init(settings: ClusterSettings, network: String, nodeName: String, loop: EventLoop) throws(ClusterError) {
        self.settings = settings
        self.network = network
        self.nodeName = nodeName
        self.loop = loop
        identity = try ClusterIdentity(caPath: settings.caPath, nodeName: nodeName, now: Int64(wallClockSeconds()))
        server = ClusterServer(loop: loop, tls: identity.server)
    }

    /// Serves `GET /cluster/v1/<name>` with `handler` (see ClusterServer).
    public func register(_ name: String, _ handler: @escaping ClusterHandler) { server.register(name, handler) }

    /// Binds `[cluster] address`; throws when it cannot (in use, no such address).
    public func start() throws(ClusterError) {
        let a = settings.address
        guard let address = SocketAddress(host: a.host, port: a.port) else { throw ClusterError("[cluster] address \(a): not an address") }
        do {
            try server.start(address: address)
        } catch {
            throw ClusterError("[cluster] address \(a): cannot listen: \(error)")
        }
        scheduleRenewal()
    }

    public func stop() {
        server.stop()
        if let t = renewTimer { loop.cancel(t) }
        renewTimer = nil
    }

    private func scheduleRenewal() {
        let t = Timer { [unowned self] _ in
            do { try self.identity.renew(now: Int64(wallClockSeconds())) } catch { self.loop.log.error("cluster: \(error); keeping the current certificate") }
            self.scheduleRenewal()
        }
        renewTimer = t
        loop.schedule(t, after: ClusterIdentity.renewEvery)
    }

    /// This node's leaf expiry (seconds since the epoch) and the CA's fingerprint, for `show info`.
    public var certificateNotAfter: Int64 { identity.leafNotAfter }
    public var caFingerprint: String { identity.ca.fingerprint }

    /// Takes the peers from a Swarm listing (SwarmWatcher.onListing).
    public func updatePeers(networks: JSONValue, services: JSONValue, tasks: JSONValue) {
        guard let service = settings.service else { return }
        let found = ClusterPeers.find(networks: networks, services: services, tasks: tasks, service: service, network: network)
        if found != peers {
            loop.log.info("cluster: \(found.count) stoep\(found.count == 1 ? "" : "s") on \(network): \(found.map(\.description).joined(separator: ", "))")
        }
        peers = found
        listings += 1
        lastListing = loop.now
    }

    /// Whether `peer` is this process.
    public func isSelf(_ peer: ClusterPeer) -> Bool { ownAddresses.contains(peer.address) }

    /// `GET /cluster/v1/<name>?<query>` to `peer`; `completion` runs once, on the loop, within the
    /// timeout. A non-200 answer is a failure carrying its status and error text. Cancel with the result.
    @discardableResult
    public func fetch(_ name: String, query: String = "", from peer: ClusterPeer,
                      completion: @escaping (Result<[UInt8], ClusterFetchError>) -> Void) -> HTTPClientExchange? {
        // Every peer listens on the same port (one [cluster] address in the stack); port 0 (a test's
        // kernel-chosen port) means this node's bound one.
        let port = settings.address.port != 0 ? settings.address.port : (server.localAddress?.port ?? 0)
        guard let address = SocketAddress(host: peer.address, port: port) else {
            completion(.failure(ClusterFetchError("\(peer.address) is not an address")))
            return nil
        }
        let target = ClusterServer.pathPrefix + name + (query.isEmpty ? "" : "?" + query)
        return HTTPClientExchange.start(loop: loop, to: [.ip(address)], tls: (identity.client, ClusterCA.peerName),
                                        request: HTTPClientRequest(.get, target: target, host: ClusterCA.peerName,
                                                                   headers: [("User-Agent", "stoep"), ("Accept", "application/json")]),
                                        timeout: settings.timeoutNanos, body: .whole(limit: 16 << 20)) { result in
            switch result {
            case .success(let r) where r.status == 200: completion(.success(r.body))
            case .success(let r):
                let why = (try? JSONParser.parse(r.body))?["error"]?.stringValue ?? String(decoding: r.body.prefix(200), as: UTF8.self)
                completion(.failure(ClusterFetchError("status \(r.status): \(why)")))
            case .failure(let e): completion(.failure(ClusterFetchError(e.reason)))
            }
        }
    }

    /// Asks every peer (this node included, over the channel like the others) at once; `completion` gets
    /// one answer per peer, in the peers' order, once the last has answered or timed out — so within the
    /// timeout whatever the peers do. No peers: called on the next turn with none.
    public func fetchAll(_ name: String, query: String = "", completion: @escaping ([ClusterAnswer]) -> Void) {
        let asked = peers
        var answers = [ClusterAnswer?](repeating: nil, count: asked.count)
        var left = asked.count
        guard left > 0 else {
            let t = Timer { _ in completion([]) }
            loop.schedule(t, after: 0)
            return
        }
        let started = loop.now
        for (i, peer) in asked.enumerated() {
            fetch(name, query: query, from: peer) { [unowned self] result in
                answers[i] = ClusterAnswer(peer: peer, isSelf: self.isSelf(peer), result: result, elapsed: self.loop.now &- started)
                left -= 1
                if left == 0 { completion(answers.map { $0! }) }
            }
        }
    }

    private static func localAddresses() -> Set<String> {
        var out = Set<String>()
        for interface in NetworkInterface.all() {
            for a in interface.addresses {
                if let v4 = a.ipv4 {
                    out.insert("\(v4 >> 24).\((v4 >> 16) & 255).\((v4 >> 8) & 255).\(v4 & 255)")
                }
            }
        }
        return out
    }
}
