// The raw TCP forwards (`[[forward]]`) of the running appliance. On reload a forward whose listen address is
// unchanged keeps its listener and relays and takes the new upstream and timeouts; new ones are bound before
// anything is closed, so a failed bind leaves the running set as it was; removed ones stop accepting and
// are kept until their last relay ends.
import Config
import Proxy
import Reactor
import Stats

final class ForwarderSet {
    private let loop: EventLoop
    private let pool: PipePool
    private let ids = ConnectionIDs()
    private(set) var running: [HostPort: Forwarder] = [:]
    /// Forwarders removed by a reload, kept until their last relay ends.
    private(set) var retired: [Forwarder] = []

    /// New listeners bound by `prepare`, and the settings of kept ones, not yet visible.
    struct Prepared {
        fileprivate var started: [HostPort: Forwarder] = [:]
        fileprivate var updates: [(Forwarder, Forwarder.Settings, SocketAddress)] = []

        func rollback() {
            for fw in started.values { fw.stopAccepting() }
        }
    }

    init(loop: EventLoop, pool: PipePool) {
        self.loop = loop
        self.pool = pool
    }

    /// Every forwarder still counted: the running ones and the retired ones that still relay.
    var all: [Forwarder] { Array(running.values) + retired }

    /// Binds the forwards of `forwards` that are new; throws on the first failure (nothing is then bound).
    func prepare(_ forwards: [ForwardConfig]) throws -> Prepared {
        var prepared = Prepared()
        do {
            for f in forwards {
                guard let listen = SocketAddress(host: f.listen.host, port: f.listen.port),
                      let upstream = SocketAddress(host: f.upstream.host, port: f.upstream.port) else {
                    throw ArgumentError(description: "\(f.location): forward \(f.name): bad address")
                }
                let settings = Forwarder.Settings(name: f.name, listen: f.listen.description, upstream: f.upstream.description,
                                                  connectTimeout: UInt64(f.connectTimeout * 1e9), idleTimeout: UInt64(f.idleTimeout * 1e9))
                if let existing = running[f.listen] {
                    prepared.updates.append((existing, settings, upstream))
                } else {
                    let fw = Forwarder(settings, loop: loop, pool: pool, ids: ids, listenAddress: listen, upstreamAddress: upstream)
                    try fw.start()
                    prepared.started[f.listen] = fw
                }
            }
        } catch {
            prepared.rollback()
            throw error
        }
        return prepared
    }

    /// Makes the prepared set current; forwards `forwards` no longer names stop accepting.
    func commit(_ prepared: Prepared, _ forwards: [ForwardConfig]) {
        for (fw, s, up) in prepared.updates { fw.update(s, upstreamAddress: up) }
        let keep = Set(forwards.map(\.listen))
        for (addr, fw) in running where !keep.contains(addr) {
            fw.stopAccepting()
            running[addr] = nil
            if !fw.relays.isEmpty { retired.append(fw) }
        }
        running.merge(prepared.started) { a, _ in a }
        retired.removeAll { $0.relays.isEmpty }
    }

    func stopAccepting() {
        for fw in running.values { fw.stopAccepting() }
    }

    func abortAll() {
        for fw in running.values { fw.abortAll() }
        for fw in retired { fw.abortAll() }
    }

    var openRelays: Int { all.reduce(0) { $0 + $1.relays.count } }

    /// Every relay, for `show conns`.
    var connections: [ConnectionDescribing] {
        all.flatMap { $0.relays.values.map { $0 as ConnectionDescribing } }
    }
}
