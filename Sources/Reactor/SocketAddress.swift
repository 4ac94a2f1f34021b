// Socket addresses as values: IPv4/IPv6 from numeric text (no getaddrinfo: it blocks), unix socket paths,
// and what the kernel reports (a datagram's sender, a connection's peer). Nothing above the Reactor sees a
// sockaddr: it asks for the text, or for the IP address's bytes (`ipv4`, `ipv6`).
import CStoep
import Glibc

public struct SocketAddress: CustomStringConvertible, Sendable {
    var storage = sockaddr_storage()
    var length: socklen_t = 0

    /// `host` is an IPv4 or IPv6 literal, or "" for every IPv4 interface.
    public init?(host: String, port: UInt16) {
        var len: socklen_t = 0
        let ok = withUnsafeMutablePointer(to: &storage) { stoep_sockaddr_from_text(host, port, $0, &len) }
        if ok != 0 { return nil }
        length = len
    }

    /// A unix socket path. With `atMeansAbstract`, a leading "@" names the abstract namespace (systemd's
    /// NOTIFY_SOCKET does). Nil when the path is empty or does not fit sockaddr_un (107 bytes and the NUL).
    public init?(unixPath path: String, atMeansAbstract: Bool = false) {
        var bytes = Array(path.utf8)
        let abstract = atMeansAbstract && bytes.first == UInt8(ascii: "@")
        if abstract { bytes[0] = 0 }
        let capacity = MemoryLayout.size(ofValue: sockaddr_un().sun_path)
        guard !bytes.isEmpty, bytes.count < capacity else { return nil }
        withUnsafeMutablePointer(to: &storage) { p in
            p.withMemoryRebound(to: sockaddr_un.self, capacity: 1) { sun in
                sun.pointee.sun_family = sa_family_t(AF_UNIX)
                withUnsafeMutableBytes(of: &sun.pointee.sun_path) { $0.copyBytes(from: bytes) }
            }
        }
        // A path's NUL is counted; an abstract name is exactly its bytes.
        length = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count + (abstract ? 0 : 1))
    }

    init(storage: sockaddr_storage, length: socklen_t) {
        self.storage = storage
        self.length = length
    }

    public var family: Int32 { Int32(storage.ss_family) }

    /// "ip:port", "[ip]:port", or "unix".
    public var description: String {
        withSockaddr { sa, _ in Socket.text(sa) }
    }

    /// The IPv4 address as a 32-bit value in host order (10.0.0.1 is 0x0A000001); nil for other families.
    public var ipv4: UInt32? {
        guard storage.ss_family == sa_family_t(AF_INET) else { return nil }
        return withUnsafePointer(to: storage) {
            $0.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { UInt32(bigEndian: $0.pointee.sin_addr.s_addr) }
        }
    }

    /// The IPv6 address as two 64-bit halves in host order (`high` holds the first 8 bytes on the wire).
    public var ipv6: (high: UInt64, low: UInt64)? {
        guard storage.ss_family == sa_family_t(AF_INET6) else { return nil }
        return withUnsafePointer(to: storage) {
            $0.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { p in
                withUnsafeBytes(of: p.pointee.sin6_addr) { b in
                    (b.loadUnaligned(fromByteOffset: 0, as: UInt64.self).bigEndian,
                     b.loadUnaligned(fromByteOffset: 8, as: UInt64.self).bigEndian)
                }
            }
        }
    }

    func withSockaddr<T>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> T) -> T {
        withUnsafePointer(to: storage) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, length) }
        }
    }

    /// The address the kernel fills in through `call` (getsockname, getpeername, accept…); nil on failure.
    static func filled(by call: (UnsafeMutablePointer<sockaddr>, UnsafeMutablePointer<socklen_t>) -> Int32) -> SocketAddress? {
        var a = SocketAddress(storage: sockaddr_storage(), length: socklen_t(MemoryLayout<sockaddr_storage>.size))
        let r = withUnsafeMutablePointer(to: &a.storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { call($0, &a.length) }
        }
        return r < 0 ? nil : a
    }
}
