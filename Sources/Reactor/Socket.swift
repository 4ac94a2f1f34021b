// Socket set-up helpers: numeric addresses only (no getaddrinfo: it blocks), non-blocking descriptors.
import CStoep
import Glibc

/// An IPv4 or IPv6 socket address parsed from numeric text.
public struct SocketAddress: CustomStringConvertible {
    var storage = sockaddr_storage()
    var length: socklen_t = 0

    /// `host` is an IPv4 or IPv6 literal, or "" for every IPv4 interface.
    public init?(host: String, port: UInt16) {
        var len: socklen_t = 0
        let ok = withUnsafeMutablePointer(to: &storage) { stoep_sockaddr_from_text(host, port, $0, &len) }
        if ok != 0 { return nil }
        length = len
    }

    init(storage: sockaddr_storage, length: socklen_t) {
        self.storage = storage
        self.length = length
    }

    public var family: Int32 { Int32(storage.ss_family) }

    public var description: String {
        var s = storage
        return withUnsafePointer(to: &s) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { Socket.text($0) }
        }
    }

    func withSockaddr<T>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> T) -> T {
        var s = storage
        return withUnsafePointer(to: &s) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, length) }
        }
    }
}

public enum Socket {
    /// "ip:port" or "[ip]:port" of a socket address.
    public static func describe(_ sa: UnsafePointer<sockaddr>) -> String { text(sa) }

    static func text(_ sa: UnsafePointer<sockaddr>) -> String {
        var buf = [UInt8](repeating: 0, count: 80)
        let n = buf.withUnsafeMutableBufferPointer { p in
            p.baseAddress!.withMemoryRebound(to: CChar.self, capacity: p.count) { stoep_sockaddr_to_text(sa, $0, p.count) }
        }
        return String(decoding: buf[0..<max(0, min(Int(n), buf.count - 1))], as: UTF8.self)
    }

    private static func setInt(_ fd: Int32, _ level: Int32, _ name: Int32, _ value: Int32) {
        var v = value
        _ = setsockopt(fd, level, name, &v, socklen_t(MemoryLayout<Int32>.size))
    }

    /// A listening TCP socket. `reusePort` lets a later reload (or a second process) bind beside it.
    public static func listenTCP(_ addr: SocketAddress, backlog: Int32 = 4096, reusePort: Bool = false) throws -> Int32 {
        let fd = try check("socket") { socket(addr.family, Int32(SOCK_STREAM.rawValue | SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue), 0) }
        setInt(fd, SOL_SOCKET, SO_REUSEADDR, 1)
        if reusePort { setInt(fd, SOL_SOCKET, SO_REUSEPORT, 1) }
        if addr.family == AF_INET6 { setInt(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, 1) }
        do {
            try check("bind \(addr)") { addr.withSockaddr { bind(fd, $0, $1) } }
            try check("listen \(addr)") { listen(fd, backlog) }
        } catch {
            closeDescriptor(fd)
            throw error
        }
        return fd
    }

    /// Starts a non-blocking connect. Returns the descriptor; completion (or failure) shows as
    /// writable/error readiness, then `pendingError(fd)` tells which.
    public static func connectTCP(_ addr: SocketAddress) throws(SystemError) -> Int32 {
        let fd = try check("socket") { socket(addr.family, Int32(SOCK_STREAM.rawValue | SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue), 0) }
        setNoDelay(fd)
        let r = addr.withSockaddr { connect(fd, $0, $1) }
        if r < 0 && errno != EINPROGRESS && errno != EINTR {
            let e = errno
            closeDescriptor(fd)
            throw SystemError("connect \(addr)", errno: e)
        }
        return fd
    }

    /// A UDP socket connected to `addr` from a kernel-chosen (random) ephemeral port: the kernel then
    /// delivers only that peer's datagrams to it.
    public static func connectUDP(_ addr: SocketAddress) throws(SystemError) -> Int32 {
        let fd = try check("socket") { socket(addr.family, Int32(SOCK_DGRAM.rawValue | SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue), 0) }
        let r = addr.withSockaddr { connect(fd, $0, $1) }
        if r < 0 {
            let e = errno
            closeDescriptor(fd)
            throw SystemError("connect udp \(addr)", errno: e)
        }
        return fd
    }

    /// SO_ERROR: 0 when a non-blocking connect succeeded, else its errno.
    public static func pendingError(_ fd: Int32) -> Int32 {
        var e: Int32 = 0
        var len = socklen_t(MemoryLayout<Int32>.size)
        if getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &len) < 0 { return errno }
        return e
    }

    public static func setNoDelay(_ fd: Int32) {
        setInt(fd, Int32(IPPROTO_TCP), Int32(TCP_NODELAY), 1)
    }

    /// A UDP socket bound to `addr`; with `packetInfo`, datagrams carry their destination address so a
    /// wildcard-bound server can answer from the address the query arrived at.
    public static func bindUDP(_ addr: SocketAddress, packetInfo: Bool) throws -> Int32 {
        let fd = try check("socket") { socket(addr.family, Int32(SOCK_DGRAM.rawValue | SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue), 0) }
        setInt(fd, SOL_SOCKET, SO_REUSEADDR, 1)
        if addr.family == AF_INET6 {
            setInt(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, 1)
            if packetInfo { setInt(fd, Int32(IPPROTO_IPV6), IPV6_RECVPKTINFO, 1) }
        } else if packetInfo {
            setInt(fd, Int32(IPPROTO_IP), IP_PKTINFO, 1)
        }
        do {
            try check("bind udp \(addr)") { addr.withSockaddr { bind(fd, $0, $1) } }
        } catch {
            closeDescriptor(fd)
            throw error
        }
        return fd
    }

    /// A listening unix stream socket at `path` with `mode` (e.g. 0o660).
    public static func listenUnix(path: String, mode: mode_t) throws -> Int32 {
        var (sun, len) = try unixAddress(path)
        let fd = try check("socket(AF_UNIX)") { socket(AF_UNIX, Int32(SOCK_STREAM.rawValue | SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue), 0) }
        do {
            try check("bind \(path)") {
                withUnsafePointer(to: &sun) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } }
            }
            _ = chmod(path, mode)
            try check("listen \(path)") { listen(fd, 128) }
        } catch {
            closeDescriptor(fd)
            throw error
        }
        return fd
    }

    /// Connects (blocking, for start-up checks only) to a unix socket; returns true when something answers.
    public static func unixSocketIsLive(path: String) -> Bool {
        var sun = sockaddr_un()
        sun.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: sun.sun_path) else { return false }
        withUnsafeMutableBytes(of: &sun.sun_path) { p in
            for (i, b) in bytes.enumerated() { p[i] = b }
        }
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue | SOCK_CLOEXEC.rawValue), 0)
        if fd < 0 { return false }
        defer { closeDescriptor(fd) }
        let len = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count + 1)
        let r = withUnsafePointer(to: &sun) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, len) } }
        return r == 0
    }

    public static func localAddress(_ fd: Int32) -> String { name(fd, getsockname) }
    public static func peerAddress(_ fd: Int32) -> String { name(fd, getpeername) }

    private static func name(_ fd: Int32, _ call: (Int32, UnsafeMutablePointer<sockaddr>, UnsafeMutablePointer<socklen_t>) -> Int32) -> String {
        var ss = sockaddr_storage()
        var len = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let r = withUnsafeMutablePointer(to: &ss) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { call(fd, $0, &len) } }
        if r < 0 { return "?" }
        return withUnsafePointer(to: &ss) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { text($0) } }
    }
}
