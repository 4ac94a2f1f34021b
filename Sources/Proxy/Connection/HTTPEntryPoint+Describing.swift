// What an entry point's connections show the stats socket: `show conns` rows and the requests in flight.
import Stats

extension HTTPEntryPoint {
    /// Every open client connection and tunnel, for `show conns`.
    public var connections: [ConnectionDescribing] {
        clients.sessions.map { $0 as ConnectionDescribing } + clients.http2.map { $0 as ConnectionDescribing }
            + clients.relays.map { $0 as ConnectionDescribing }
    }
}

extension HTTPEntryPoint {
    /// The router and service of every request in flight now (open connections per router/service).
    public var requestsInFlight: [(router: String, service: String)] {
        (clients.sessions + clients.http2.flatMap { $0.streams.values.compactMap(\.session) }).compactMap { s in
            guard let x = s.exchange, let r = x.route else { return nil }
            return (r.name, r.service.name)
        }
    }
}
