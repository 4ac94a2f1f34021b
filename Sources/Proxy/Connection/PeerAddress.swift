// The client end of an accepted connection, read once (getpeername) and carried from the accept to the
// session or relay that serves it.
import Reactor
import Rules

struct PeerAddress {
    /// The peer's IP address as text (no port, no brackets).
    let text: String
    let ip: ClientIP?

    init(of fd: FileDescriptor) {
        let peer = Socket.peerAddress(fd)
        var host = Substring(peer)
        if host.hasPrefix("["), let close = host.firstIndex(of: "]") {
            host = host[host.index(after: host.startIndex)..<close]
        } else if let colon = host.lastIndex(of: ":") {
            host = host[..<colon]
        }
        text = String(host)
        ip = ClientIP(text)
    }
}
