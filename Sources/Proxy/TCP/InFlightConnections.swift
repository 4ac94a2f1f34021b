// The state of one `inFlightConn` TCP middleware: open connections per client IP (Traefik's
// pkg/middlewares/tcp/inflightconn: a map keyed by the remote IP, incremented before the next handler runs,
// decremented when the connection ends). An IP leaves the map when its count drops to 0, so memory follows
// the connections open now, never the clients seen. A reload builds new middlewares, as Traefik does: the
// old counter is still released by the connections that took it.
import Rules

public final class InFlightConnections {
    public let name: String
    public let amount: Int
    private var open: [ClientIP: Int] = [:]
    /// Connections refused because their IP had `amount` open.
    public private(set) var refused: UInt64 = 0

    init(name: String, amount: Int) {
        self.name = name
        self.amount = amount
    }

    /// Client IPs with connections open now.
    public var clients: Int { open.count }

    /// Counts one more connection for `ip`; false (and counted as refused) when it has `amount` open.
    func take(_ ip: ClientIP) -> Bool {
        let now = open[ip, default: 0]
        guard now < amount else {
            refused &+= 1
            return false
        }
        open[ip] = now + 1
        return true
    }

    func release(_ ip: ClientIP) {
        guard let now = open[ip] else { return }
        open[ip] = now > 1 ? now - 1 : nil
    }
}
