// How HTTP client connections and upgraded tunnels appear in `show conns`.
import Reactor
import Stats

extension HTTPSession: ConnectionDescribing {
    func describe(into w: inout JSONWriter, now: UInt64) {
        w.beginObject()
        w.field("kind", "http")
        w.field("entrypoint", entryPoint.name)
        w.field("local", closed ? "closed" : Socket.localAddress(client.fd))
        w.field("peer", peerText)
        w.field("state", exchange != nil ? "active" : lingering ? "closing" : "idle")
        if let x = exchange {
            w.field("router", x.route?.name ?? "")
            w.field("upstream", x.server?.url ?? "")
            w.field("bytes_in", x.requestBody.bytes)
            w.field("bytes_out", x.responseBody.bytes)
        }
        w.field("idle_s", Double(now &- lastActivity) / 1e9)
        w.endObject()
    }
}

extension HTTPEntryPoint {
    /// Every open client connection and tunnel, for `show conns`.
    public var connections: [ConnectionDescribing] {
        clients.sessions.map { $0 as ConnectionDescribing } + clients.relays.map { $0 as ConnectionDescribing }
    }
}

extension HTTPEntryPoint {
    /// The router and service of every request in flight now (open connections per router/service).
    public var requestsInFlight: [(router: String, service: String)] {
        clients.sessions.compactMap { s in
            guard let x = s.exchange, let r = x.route else { return nil }
            return (r.name, r.service.name)
        }
    }
}
