// Entry points on reload: a listener whose address and settings are unchanged is kept (its
// connections too); new ones are bound before anything is closed, so a failed bind leaves the running
// set as it was. With HTTP routing configured an entry point runs the proxy; without, the status page.
import Config
import Proxy
import Reactor

struct PreparedEntryPoints {
    var http: [(HostPort, ProxyEntryPointSetup, HTTPEntryPoint)] = []
    var pages: [(HostPort, ProxyEntryPointSetup, StatusPage)] = []

    func rollback() {
        for (_, _, e) in http { e.stopAccepting() }
        for (_, _, p) in pages { p.stopAccepting() }
    }
}

extension Appliance {
    /// Binds the entry points that are new or changed (not yet visible); throws on the first failure.
    func prepareEntryPoints(_ setup: ProxySetup) throws -> PreparedEntryPoints {
        var prepared = PreparedEntryPoints()
        do {
            for ep in setup.entryPoints {
                let kept = entryPointSetups[ep.address] == ep
                    && (setup.routing ? httpEntryPoints[ep.address] != nil : statusPages[ep.address] != nil)
                if kept { continue }
                guard let addr = SocketAddress(host: ep.address.host, port: ep.address.port) else { continue }
                // The same address held by a listener of the other kind, or with other settings: release it
                // first (its established connections go on).
                statusPages.removeValue(forKey: ep.address)?.stopAccepting()
                if let old = httpEntryPoints.removeValue(forKey: ep.address) {
                    old.stopAccepting()
                    retiredEntryPoints.append(old)
                }
                if setup.routing {
                    let e = HTTPEntryPoint(name: ep.name, address: addr, proxy: proxy, trustedIPs: ep.trustedIPs,
                                           insecure: ep.insecure, idleTimeout: ep.idleTimeout, readTimeout: ep.readTimeout,
                                           targetPolicy: ep.targetPolicy)
                    try e.start()
                    prepared.http.append((ep.address, ep, e))
                } else {
                    let page = StatusPage(name: ep.name, address: addr, loop: loop) { [unowned self] in self.statusBodies() }
                    try page.start()
                    prepared.pages.append((ep.address, ep, page))
                }
            }
        } catch {
            prepared.rollback()
            throw error
        }
        return prepared
    }

    /// Makes the prepared set current: removed entry points stop accepting, the route table is swapped.
    func commitEntryPoints(_ prepared: PreparedEntryPoints, _ setup: ProxySetup) {
        let wanted = Set(setup.entryPoints.map(\.address))
        for (addr, p) in statusPages where !wanted.contains(addr) || setup.routing {
            p.stopAccepting()
            statusPages[addr] = nil
        }
        for (addr, e) in httpEntryPoints where !wanted.contains(addr) || !setup.routing {
            e.stopAccepting()
            httpEntryPoints[addr] = nil
            retiredEntryPoints.append(e)
        }
        for (addr, ep, e) in prepared.http { httpEntryPoints[addr] = e; entryPointSetups[addr] = ep }
        for (addr, ep, p) in prepared.pages { statusPages[addr] = p; entryPointSetups[addr] = ep }
        for addr in Array(entryPointSetups.keys) where !wanted.contains(addr) { entryPointSetups[addr] = nil }
        retiredEntryPoints.removeAll { $0.openSessions == 0 }
        proxy.timeouts.connect = setup.connectTimeout
        proxy.timeouts.responseHeader = setup.responseHeaderTimeout
        installRoutes(setup)
    }
}
