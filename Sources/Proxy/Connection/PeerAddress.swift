// The client end of an accepted connection, read once (getpeername) and carried from the accept to the
// session or relay that serves it. Behind a PROXY protocol header from a trusted peer it is the client the
// header names (ConnectionOpening+ProxyProtocol), so X-Forwarded-For, X-Real-Ip, ipAllowList, ClientIP
// rules, TCP middlewares and the access log all see the real client, as Traefik's RemoteAddr does.
import Reactor
import Rules

struct PeerAddress {
    /// The peer's IP address as text (no port, no brackets).
    let text: String
    let ip: ClientIP?
    /// The peer with its port, and the local address it connected to (the PROXY header's destination
    /// when one was used): what a PROXY header sent to a TCP server names.
    let remote: SocketAddress?
    let local: SocketAddress?

    init(of fd: FileDescriptor) {
        self.init(remote: fd.peerAddress, local: fd.localAddress)
    }

    init(remote: SocketAddress?, local: SocketAddress?) {
        self.remote = remote
        self.local = local
        text = remote.flatMap { $0.unmapped.ipText } ?? "?"
        ip = ClientIP(text)
    }
}
