// Sockets: made, configured and — when a step fails — closed again in one place (`Socket.make`), for every
// kind stoep uses: TCP and unix listeners, non-blocking TCP and unix connects, UDP (DatagramSocket.swift),
// and the CLI's blocking unix connect. The stream calls on a connected descriptor (recv, peek, send,
// shutdown, SO_ERROR, names) are here too, so no workload calls them raw.
import CStoep
import Glibc

public enum Socket {
    static func text(_ sa: UnsafePointer<sockaddr>) -> String {
        var buf = [UInt8](repeating: 0, count: 80)
        let n = buf.withUnsafeMutableBufferPointer { p in
            p.baseAddress!.withMemoryRebound(to: CChar.self, capacity: p.count) { stoep_sockaddr_to_text(sa, $0, p.count) }
        }
        return String(decoding: buf[0..<max(0, min(Int(n), buf.count - 1))], as: UTF8.self)
    }

    static func setInt(_ fd: FileDescriptor, _ level: Int32, _ name: Int32, _ value: Int32) {
        var v = value
        _ = setsockopt(fd.rawValue, level, name, &v, socklen_t(MemoryLayout<Int32>.size))
    }

    /// Makes a close-on-exec socket (non-blocking unless `blocking`), then runs `setUp` on it (options,
    /// bind, listen, connect). When `setUp` throws, the socket is closed before the error goes on: the one
    /// place a half-made socket is torn down.
    static func make(family: Int32, type: __socket_type, blocking: Bool = false,
                     _ setUp: (FileDescriptor) throws(SystemError) -> Void) throws(SystemError) -> FileDescriptor {
        let flags = Int32(type.rawValue | SOCK_CLOEXEC.rawValue | (blocking ? 0 : SOCK_NONBLOCK.rawValue))
        let fd = FileDescriptor(rawValue: try check(family == AF_UNIX ? "socket(AF_UNIX)" : "socket") {
            Glibc.socket(family, flags, 0)
        })
        do {
            try setUp(fd)
        } catch {
            fd.close()
            throw error
        }
        return fd
    }

    /// connect(2) on a fresh socket. A non-blocking stream connect that is under way is not an error:
    /// its end shows as writable/error readiness, then `pendingError` tells which. EINTR leaves the connect
    /// running in the background; EAGAIN from a unix connect means the listener's backlog is full, and the
    /// connect is retried by the kernel like one in progress.
    static func connect(_ fd: FileDescriptor, _ addr: SocketAddress, _ what: @autoclosure () -> String,
                        inProgressIsOK: Bool) throws(SystemError) {
        let r = addr.withSockaddr { Glibc.connect(fd.rawValue, $0, $1) }
        guard r < 0 else { return }
        let e = Errno.current
        if inProgressIsOK && (e == Errno(rawValue: EINPROGRESS) || e == .interrupted
                              || (addr.family == AF_UNIX && e == .wouldBlock)) { return }
        throw SystemError("connect \(what())", errno: e)
    }

    /// Set once at start in a worker of `workers = N` (N > 1): every TCP listener and bound UDP socket
    /// gets SO_REUSEPORT, so the N workers bind the same addresses and the kernel spreads connections and
    /// datagrams over them by a hash of the 4-tuple (docs/architecture.md, "Workers"). Off otherwise: a
    /// single stoep keeps refusing to start beside another one on the same port.
    nonisolated(unsafe) public static var sharedPorts = false

    /// A listening TCP socket. `reusePort` lets a later reload (or a second process) bind beside it.
    public static func listenTCP(_ addr: SocketAddress, backlog: Int32 = 4096, reusePort: Bool = false) throws(SystemError) -> FileDescriptor {
        try make(family: addr.family, type: SOCK_STREAM) { fd throws(SystemError) in
            setInt(fd, SOL_SOCKET, SO_REUSEADDR, 1)
            if reusePort || sharedPorts { setInt(fd, SOL_SOCKET, SO_REUSEPORT, 1) }
            if addr.family == AF_INET6 { setInt(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, 1) }
            try bindWaitingOutPredecessor(fd, addr, "bind \(addr)")
            try check("listen \(addr)") { listen(fd.rawValue, backlog) }
        }
    }

    /// A listening unix stream socket at `path` with `mode` (e.g. 0o660) and, given, `owner`.
    /// No moment with other permissions: bind creates the file with `mode` itself (the umask is set
    /// around it: the process is single-threaded, nothing else creates a file meanwhile), and the owner
    /// is set before listen, while a connect is still refused. fchown on the socket descriptor would
    /// change the socket's inode in sockfs, not the file, hence lchown on the path; the path's directory
    /// is the caller's (only its owner could swap the file between bind and lchown).
    public static func listenUnix(path: String, mode: mode_t, owner: (uid: uid_t, gid: gid_t)? = nil) throws(SystemError) -> FileDescriptor {
        let addr = try unixAddress(path)
        return try make(family: AF_UNIX, type: SOCK_STREAM) { fd throws(SystemError) in
            let saved = umask(~mode & 0o777)
            let (r, e) = retryingEINTR { addr.withSockaddr { bind(fd.rawValue, $0, $1) } }
            umask(saved)
            if r < 0 { throw SystemError("bind \(path)", errno: e) }
            if let owner {
                try check("chown \(path) to \(owner.uid):\(owner.gid)") { lchown(path, owner.uid, owner.gid) }
            }
            try check("listen \(path)") { listen(fd.rawValue, 128) }
        }
    }

    /// Starts a non-blocking TCP connect (TCP_NODELAY set). Completion (or failure) shows as
    /// writable/error readiness, then `pendingError(fd)` tells which.
    public static func connectTCP(_ addr: SocketAddress) throws(SystemError) -> FileDescriptor {
        try make(family: addr.family, type: SOCK_STREAM) { fd throws(SystemError) in
            setNoDelay(fd)
            try connect(fd, addr, "\(addr)", inProgressIsOK: true)
        }
    }

    /// Starts a non-blocking connect to the unix socket at `path` (the Docker Engine API). A unix connect
    /// normally completes at once. Throws when the socket is missing or refuses at once.
    public static func connectUnix(path: String) throws(SystemError) -> FileDescriptor {
        let addr = try unixAddress(path)
        return try make(family: AF_UNIX, type: SOCK_STREAM) { fd throws(SystemError) in
            try connect(fd, addr, path, inProgressIsOK: true)
        }
    }

    /// A blocking unix stream connection for a short-lived command-line process (`stoep stats`): sends and
    /// reads give up after `timeoutSeconds` (SO_SNDTIMEO/SO_RCVTIMEO) with `.wouldBlock`.
    public static func connectBlocking(unixPath path: String, timeoutSeconds: Int) throws(SystemError) -> FileDescriptor {
        let addr = try unixAddress(path)
        return try make(family: AF_UNIX, type: SOCK_STREAM, blocking: true) { fd throws(SystemError) in
            var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
            let size = socklen_t(MemoryLayout<timeval>.size)
            setsockopt(fd.rawValue, SOL_SOCKET, SO_RCVTIMEO, &timeout, size)
            setsockopt(fd.rawValue, SOL_SOCKET, SO_SNDTIMEO, &timeout, size)
            try check("connect") { addr.withSockaddr { Glibc.connect(fd.rawValue, $0, $1) } }
        }
    }

    /// Connects (blocking, for start-up checks only) to a unix socket; true when something answers.
    public static func unixSocketIsLive(path: String) -> Bool {
        guard let fd = try? connectBlocking(unixPath: path, timeoutSeconds: 0) else { return false }
        fd.close()
        return true
    }

    /// Whether the socket at `path` accepts connections through all of the next `nanos` (probed every
    /// 10 ms). A process killed with SIGKILL leaves its io_uring to be torn down by the kernel after it is
    /// reaped: for 10–60 ms (measured) its listening sockets still take connections although nobody will
    /// ever accept them. Such a socket stops being live within the window; a running stoep's does not.
    public static func unixSocketStaysLive(path: String, nanos: UInt64) -> Bool {
        let deadline = monotonicNanos() &+ nanos
        while monotonicNanos() < deadline {
            guard unixSocketIsLive(path: path) else { return false }
            usleep(10_000)
        }
        return true
    }

    /// Until this moment (monotonic nanoseconds) a bind that finds its address in use waits for it, trying
    /// again every 10 ms: set at start-up (`stoep run`), so a restart right after a kill -9 binds once the
    /// predecessor's io_uring is torn down (see `unixSocketStaysLive`) instead of failing. 0 (never) on
    /// reloads: a port another program holds is reported at once there.
    nonisolated(unsafe) public static var waitForAddressInUseUntil: UInt64 = 0

    static func bindWaitingOutPredecessor(_ fd: FileDescriptor, _ addr: SocketAddress, _ call: @autoclosure () -> String) throws(SystemError) {
        while true {
            let (r, e) = retryingEINTR { addr.withSockaddr { Glibc.bind(fd.rawValue, $0, $1) } }
            if r >= 0 { return }
            if e.rawValue == EADDRINUSE && monotonicNanos() < waitForAddressInUseUntil {
                usleep(10_000)
                continue
            }
            throw SystemError(call(), errno: e)
        }
    }

    static func unixAddress(_ path: String) throws(SystemError) -> SocketAddress {
        guard let addr = SocketAddress(unixPath: path) else {
            throw SystemError("unix socket path too long: \(path)", errno: .nameTooLong)
        }
        return addr
    }

    /// SO_ERROR: nil when a non-blocking connect succeeded, else why it failed.
    public static func pendingError(_ fd: FileDescriptor) -> Errno? {
        var e: Int32 = 0
        var len = socklen_t(MemoryLayout<Int32>.size)
        if getsockopt(fd.rawValue, SOL_SOCKET, SO_ERROR, &e, &len) < 0 { return Errno.current }
        return e == 0 ? nil : Errno(rawValue: e)
    }

    public static func setNoDelay(_ fd: FileDescriptor) {
        setInt(fd, Int32(IPPROTO_TCP), Int32(TCP_NODELAY), 1)
    }

    /// TCP keep-alive probes as Go's net.Dialer sets them (Go ≥ 1.23 KeepAliveConfig on Linux): the first
    /// after `idleSeconds` without traffic, then every `intervalSeconds`, `count` unanswered ones end it.
    public static func setKeepAlive(_ fd: FileDescriptor, idleSeconds: Int32, intervalSeconds: Int32 = 15, count: Int32 = 9) {
        setInt(fd, SOL_SOCKET, SO_KEEPALIVE, 1)
        setInt(fd, Int32(IPPROTO_TCP), TCP_KEEPIDLE, max(1, idleSeconds))
        setInt(fd, Int32(IPPROTO_TCP), TCP_KEEPINTVL, max(1, intervalSeconds))
        setInt(fd, Int32(IPPROTO_TCP), TCP_KEEPCNT, max(1, count))
    }

    /// The local / peer address as text ("ip:port"), "?" when the kernel cannot say.
    public static func localAddress(_ fd: FileDescriptor) -> String { fd.localAddress?.description ?? "?" }
    public static func peerAddress(_ fd: FileDescriptor) -> String { fd.peerAddress?.description ?? "?" }
}

extension FileDescriptor {
    /// recv(2) on a connected stream socket.
    @inline(__always)
    public func receive(into buffer: UnsafeMutableRawBufferPointer) -> IOResult {
        let (n, e) = retryingEINTR { Glibc.recv(rawValue, buffer.baseAddress, buffer.count, 0) }
        return ioResult(n, errno: e, zeroIsEOF: true)
    }

    /// recv(2) with MSG_PEEK | MSG_DONTWAIT: the bytes waiting now, left in the socket for the next reader.
    /// `.eof` when the peer finished and nothing is left, `.wouldBlock` when nothing waits.
    @inline(__always)
    public func peek(into buffer: UnsafeMutableRawBufferPointer) -> IOResult {
        let (n, e) = retryingEINTR { Glibc.recv(rawValue, buffer.baseAddress, buffer.count, Int32(MSG_PEEK | MSG_DONTWAIT)) }
        return ioResult(n, errno: e, zeroIsEOF: true)
    }

    /// send(2) with MSG_NOSIGNAL: a closed peer gives EPIPE, never SIGPIPE.
    @inline(__always)
    public func send(_ bytes: UnsafeRawBufferPointer) -> IOResult {
        let (n, e) = retryingEINTR { Glibc.send(rawValue, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL)) }
        return ioResult(n, errno: e, zeroIsEOF: false)
    }

    /// Sends all of `bytes` on a blocking socket (the CLI's), retrying short sends; the error that stopped
    /// it, nil when everything went out. `.wouldBlock` means a send timeout (SO_SNDTIMEO) passed.
    public func sendAll(_ bytes: [UInt8]) -> Errno? {
        var offset = 0
        return bytes.withUnsafeBytes { raw -> Errno? in
            while offset < raw.count {
                switch send(UnsafeRawBufferPointer(rebasing: raw[offset...])) {
                case .bytes(let n): offset += n
                case .error(let e): return e
                case .wouldBlock: return .wouldBlock
                case .eof: return .brokenPipe
                }
            }
            return nil
        }
    }

    /// Sends our FIN (half-close): the peer reads EOF, we can still read.
    public func shutdownWrite() {
        _ = Glibc.shutdown(rawValue, Int32(SHUT_WR))
    }

    /// getsockname / getpeername.
    public var localAddress: SocketAddress? { SocketAddress.filled { getsockname(rawValue, $0, $1) } }
    public var peerAddress: SocketAddress? { SocketAddress.filled { getpeername(rawValue, $0, $1) } }
}
