// Client connections to unix stream sockets (the Docker Engine API), non-blocking like connectTCP.
import CStoep
import Glibc

extension Socket {
    /// The sockaddr_un for `path` and its length; throws when the path does not fit.
    static func unixAddress(_ path: String) throws(SystemError) -> (sockaddr_un, socklen_t) {
        var sun = sockaddr_un()
        sun.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: sun.sun_path) else {
            throw SystemError("unix socket path too long: \(path)", errno: ENAMETOOLONG)
        }
        withUnsafeMutableBytes(of: &sun.sun_path) { p in
            for (i, b) in bytes.enumerated() { p[i] = b }
        }
        return (sun, socklen_t(MemoryLayout<sa_family_t>.size + bytes.count + 1))
    }

    /// Starts a non-blocking connect to the unix socket at `path`. A unix connect normally completes at
    /// once; EAGAIN (listener backlog full) and EINPROGRESS are reported later as writable/error readiness,
    /// then `pendingError(fd)` tells which. Throws when the socket is missing or refuses at once.
    public static func connectUnix(path: String) throws(SystemError) -> Int32 {
        var (sun, len) = try unixAddress(path)
        let fd = try check("socket(AF_UNIX)") { socket(AF_UNIX, Int32(SOCK_STREAM.rawValue | SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue), 0) }
        let r = withUnsafePointer(to: &sun) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, len) } }
        if r < 0 && errno != EINPROGRESS && errno != EAGAIN && errno != EINTR {
            let e = errno
            closeDescriptor(fd)
            throw SystemError("connect \(path)", errno: e)
        }
        return fd
    }
}
