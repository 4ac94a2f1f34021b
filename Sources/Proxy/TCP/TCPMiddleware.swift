// TCP middlewares on a TCP router (`tcp.routers.NAME.middlewares`), run in order once a router matched and
// before its server is dialled, as Traefik's TCP chain does (pkg/middlewares/tcp/ipallowlist,
// pkg/middlewares/tcp/inflightconn). A refused connection is closed at once, without a byte written: what
// Traefik's `conn.Close()` does. Both judge the client by its address — the real one behind a trusted PROXY
// header, as Traefik's RemoteAddr.
import Rules

public enum TCPMiddleware {
    /// `ipAllowList.sourceRange` (v2's ipWhiteList): the client must be in one of the ranges.
    case ipAllowList(name: String, ranges: [ClientIPRange])
    /// `inFlightConn.amount`: at most that many open connections per client IP.
    case inFlightConn(InFlightConnections)
}

/// What a connection took from the chain's inFlightConn counters: given back when it ends.
public struct TCPAdmission {
    var held: [(InFlightConnections, ClientIP)] = []

    public func release() {
        for (counter, ip) in held { counter.release(ip) }
    }
}

extension Array where Element == TCPMiddleware {
    /// Runs the chain for a client: the admission to release when the connection ends, or nil (refused; the
    /// refusing middleware counted it, and every counter taken before it is given back). A client without
    /// an IP (never on a TCP socket) is refused, as Go's SplitHostPort/IsAuthorized fail for it.
    func admit(_ ip: ClientIP?) -> TCPAdmission? {
        var admission = TCPAdmission()
        for middleware in self {
            switch middleware {
            case .ipAllowList(_, let ranges):
                guard let ip, ranges.contains(where: { $0.contains(ip) }) else {
                    admission.release()
                    return nil
                }
            case .inFlightConn(let counter):
                guard let ip, counter.take(ip) else {
                    admission.release()
                    return nil
                }
                admission.held.append((counter, ip))
            }
        }
        return admission
    }
}
