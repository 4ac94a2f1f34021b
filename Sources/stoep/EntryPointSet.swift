// The entry points of the running appliance. With HTTP routing configured an entry point runs the proxy;
// without, the status page. On reload a listener whose address and settings are unchanged is kept (its
// connections too); new ones are bound before anything is closed, so a failed bind leaves the running set
// as it was; removed ones stop accepting and are kept until their last connection ends.
import Config
import Proxy
import Reactor
import Stats

final class EntryPointSet {
    private let loop: EventLoop
    private let proxy: HTTPProxy
    /// The status page's bodies (the appliance's facts).
    var statusBodies: () -> (html: String, json: String) = { ("", "{}") }
    /// The community CA's root, offered by the status pages (`/stoep-ca.pem`, `/stoep-ca.crt`) and
    /// described on their front page; set by whoever opens the CommunityCAStore.
    var communityCARoot: () -> CommunityCARoot? = { nil }
    private(set) var http: [HostPort: HTTPEntryPoint] = [:]
    private(set) var statusPages: [HostPort: StatusPage] = [:]
    /// UDP entry points: bound whether or not a router uses them, as Traefik binds them (datagrams without a
    /// router are dropped and counted).
    private(set) var udp: [HostPort: UDPEntryPoint] = [:]
    private var udpSetups: [HostPort: UDPEntryPointSetup] = [:]
    /// Entry points' setups, to tell an unchanged listener (kept on reload) from a changed one.
    private var setups: [HostPort: ProxyEntryPointSetup] = [:]
    /// Entry points removed by a reload whose connections are still open.
    private var retired: [HTTPEntryPoint] = []

    /// Listeners bound by `prepare`, not yet visible.
    struct Prepared {
        fileprivate var http: [(HostPort, ProxyEntryPointSetup, HTTPEntryPoint)] = []
        fileprivate var pages: [(HostPort, ProxyEntryPointSetup, StatusPage)] = []
        fileprivate var udp: [(HostPort, UDPEntryPointSetup, UDPEntryPoint)] = []

        func rollback() {
            for (_, _, e) in http { e.stopAccepting() }
            for (_, _, p) in pages { p.stopAccepting() }
            for (_, _, u) in udp { u.stop() }
        }
    }

    init(loop: EventLoop, proxy: HTTPProxy) {
        self.loop = loop
        self.proxy = proxy
    }

    /// Binds the entry points that are new or changed (not yet visible); throws on the first failure.
    func prepare(_ setup: ProxySetup) throws -> Prepared {
        var prepared = Prepared()
        do {
            for ep in setup.entryPoints {
                let kept = setups[ep.address] == ep && (setup.routing ? http[ep.address] != nil : statusPages[ep.address] != nil)
                if kept { continue }
                guard let addr = SocketAddress(host: ep.address.host, port: ep.address.port) else { continue }
                // The same address held by a listener of the other kind, or with other settings: release it
                // first (its established connections go on).
                statusPages.removeValue(forKey: ep.address)?.stopAccepting()
                if let old = http.removeValue(forKey: ep.address) {
                    old.stopAccepting()
                    retired.append(old)
                }
                if setup.routing {
                    let e = HTTPEntryPoint(name: ep.name, address: addr, proxy: proxy, trustedIPs: ep.trustedIPs,
                                           insecure: ep.insecure, idleTimeout: ep.idleTimeout, readTimeout: ep.readTimeout,
                                           targetPolicy: ep.targetPolicy, http2: ep.http2, proxyProtocol: ep.proxyProtocol,
                                           keepAlive: ep.keepAlive)
                    try e.start()
                    prepared.http.append((ep.address, ep, e))
                } else {
                    let page = StatusPage(name: ep.name, address: addr, loop: loop,
                                          communityCARoot: { [unowned self] in self.communityCARoot() }) { [unowned self] in self.statusBodies() }
                    try page.start()
                    prepared.pages.append((ep.address, ep, page))
                }
            }
            for ep in setup.udpEntryPoints {
                if udpSetups[ep.address] == ep && udp[ep.address] != nil { continue }
                guard let addr = SocketAddress(host: ep.address.host, port: ep.address.port) else { continue }
                // A changed UDP entry point: its sessions end with the old socket (UDP has no connection to keep).
                udp.removeValue(forKey: ep.address)?.stop()
                let u = UDPEntryPoint(name: ep.name, address: addr, timeout: ep.timeout, proxy: proxy)
                try u.start()
                prepared.udp.append((ep.address, ep, u))
            }
        } catch {
            prepared.rollback()
            throw error
        }
        return prepared
    }

    /// Makes the prepared set current: entry points `setup` no longer names stop accepting.
    func commit(_ prepared: Prepared, _ setup: ProxySetup) {
        let wanted = Set(setup.entryPoints.map(\.address))
        for (addr, p) in statusPages where !wanted.contains(addr) || setup.routing {
            p.stopAccepting()
            statusPages[addr] = nil
        }
        for (addr, e) in http where !wanted.contains(addr) || !setup.routing {
            e.stopAccepting()
            http[addr] = nil
            retired.append(e)
        }
        let wantedUDP = Set(setup.udpEntryPoints.map(\.address))
        for (addr, u) in udp where !wantedUDP.contains(addr) {
            u.stop()
            udp[addr] = nil
            udpSetups[addr] = nil
        }
        for (addr, ep, u) in prepared.udp { udp[addr] = u; udpSetups[addr] = ep }
        for (addr, ep, e) in prepared.http { http[addr] = e; setups[addr] = ep }
        for (addr, ep, p) in prepared.pages { statusPages[addr] = p; setups[addr] = ep }
        for addr in Array(setups.keys) where !wanted.contains(addr) { setups[addr] = nil }
        retired.removeAll { $0.openSessions == 0 }
    }

    /// Shutdown: no new connections; connections between requests close now.
    func stopAccepting(closingIdle: Bool) {
        for p in statusPages.values {
            p.stopAccepting()
            if closingIdle { p.closeIdle() }
        }
        for e in http.values {
            e.stopAccepting()
            if closingIdle { e.closeIdle() }
        }
        // UDP has no connection to finish: the socket and its sessions close now.
        for u in udp.values { u.stop() }
    }

    /// The drain deadline passed: every connection closes.
    func closeAll() {
        for u in udp.values { u.stop() }
        for p in statusPages.values { p.closeIdle() }
        for e in http.values { e.closeAll() }
    }

    /// UDP entry points, for stats.
    var udpEntryPoints: [UDPEntryPoint] { Array(udp.values) }

    var openConnections: Int {
        statusPages.values.reduce(0) { $0 + $1.openSessions } + http.values.reduce(0) { $0 + $1.openSessions }
    }

    /// Every HTTP connection and tunnel, retired entry points' included, for `show conns`.
    var connections: [ConnectionDescribing] {
        (Array(http.values) + retired).flatMap(\.connections) + udp.values.flatMap(\.connections)
    }
}
