// A listening socket on the loop: bound, watched and — when it stops — removed and closed in one place,
// for every accept handler (HTTP entry points, [[forward]], the status page, the stats socket, DNS over
// TCP). Connections arrive at the handler's `accepted(fd:)`, non-blocking and close-on-exec.
import Glibc

public final class Listener {
    private let loop: EventLoop
    private var fd: FileDescriptor
    private var token: Token?

    /// Listens on `address` (TCP). Throws when the port cannot be bound (in use, no permission).
    public static func tcp(_ address: SocketAddress, backlog: Int32 = 4096, loop: EventLoop,
                           handler: AcceptHandler) throws(SystemError) -> Listener {
        try Listener(try Socket.listenTCP(address, backlog: backlog), loop: loop, handler: handler)
    }

    /// Listens on the unix socket `path`, created with `mode` (the caller removed a stale file first).
    public static func unix(path: String, mode: mode_t, owner: (uid: uid_t, gid: gid_t)? = nil, loop: EventLoop,
                            handler: AcceptHandler) throws(SystemError) -> Listener {
        try Listener(try Socket.listenUnix(path: path, mode: mode, owner: owner), loop: loop, handler: handler)
    }

    private init(_ fd: FileDescriptor, loop: EventLoop, handler: AcceptHandler) throws(SystemError) {
        self.loop = loop
        self.fd = fd
        do {
            token = try loop.addListener(fd: fd, handler: handler)
        } catch {
            fd.close()
            throw error
        }
    }

    /// The address the socket is bound to (a port chosen by the kernel for port 0).
    public var localAddress: SocketAddress? { fd.isValid ? fd.localAddress : nil }

    /// Stops accepting and closes the socket; connections already accepted go on. Safe to call twice.
    public func close() {
        if let t = token { loop.removeListener(t) }
        token = nil
        fd.close()
        fd = .invalid
    }
}
