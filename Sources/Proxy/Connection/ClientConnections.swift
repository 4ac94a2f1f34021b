// The open client connections of an entry point, each in the one state it is in: opening (its first bytes
// peeked, or its TLS handshake running), served as HTTP, or relayed raw. One table, so shutdown, `show conns`
// and the open-connection gauges see every connection exactly once.
import Reactor

enum ClientConnection {
    /// Accepted; where it goes is not known yet (ConnectionOpening).
    case opening(ConnectionOpening)
    /// Served as HTTP/1.x.
    case http(HTTPSession)
    /// Served as HTTP/2 (its streams' sessions are not listed: they belong to it).
    case http2(HTTP2Connection)
    /// Relayed raw: to a TCP router's server, or after an upgrade (WebSocket) to the backend.
    case relayed(Relay)

    var key: ObjectIdentifier {
        switch self {
        case .opening(let o): return ObjectIdentifier(o)
        case .http(let s): return ObjectIdentifier(s)
        case .http2(let c): return ObjectIdentifier(c)
        case .relayed(let r): return ObjectIdentifier(r)
        }
    }

    /// Closes the connection at once (shutdown's deadline passed).
    func abort() {
        switch self {
        case .opening(let o): o.abort()
        case .http(let s): s.close()
        case .http2(let c): c.close()
        case .relayed(let r): r.abort()
        }
    }
}

struct ClientConnectionTable {
    private var entries: [ObjectIdentifier: ClientConnection] = [:]

    var count: Int { entries.count }

    /// Every connection (a copy: ending one while walking the list is safe).
    var all: [ClientConnection] { Array(entries.values) }

    var sessions: [HTTPSession] {
        entries.values.compactMap { if case .http(let s) = $0 { return s } else { return nil } }
    }

    var http2: [HTTP2Connection] {
        entries.values.compactMap { if case .http2(let c) = $0 { return c } else { return nil } }
    }

    var relays: [Relay] {
        entries.values.compactMap { if case .relayed(let r) = $0 { return r } else { return nil } }
    }

    mutating func insert(_ c: ClientConnection) {
        entries[c.key] = c
    }

    /// Removes the connection `object` is the state of; nil when it was not listed.
    @discardableResult
    mutating func remove(_ object: AnyObject) -> ClientConnection? {
        entries.removeValue(forKey: ObjectIdentifier(object))
    }
}
