// StatsClient: the client half of the stats socket protocol, for `stoep stats`. It runs in its own
// short-lived process, so it uses plain blocking calls: connect, send one line, read to EOF. A receive
// timeout keeps a wedged server from hanging the CLI.

import Glibc

public enum StatsClientError: Error, Equatable, CustomStringConvertible {
    /// sockaddr_un holds at most 107 path bytes plus the NUL.
    case pathTooLong(path: String)
    /// ENOENT: nothing at the path (stoep not running, or a different socket path).
    case socketMissing(path: String)
    /// ECONNREFUSED: a stale socket file with no listener behind it.
    case connectionRefused(path: String)
    case permissionDenied(path: String)
    case timedOut(path: String)
    case responseTooLarge(path: String, limit: Int)
    /// Any other failure: the call that failed and errno.
    case system(call: String, errno: Int32, path: String)

    public var description: String {
        switch self {
        case .pathTooLong(let path):
            return "stats socket path is too long for a unix socket (max 107 bytes): \(path)"
        case .socketMissing(let path):
            return "no stats socket at \(path): is stoep running? (set the path with --stats-socket)"
        case .connectionRefused(let path):
            return "connection refused on stats socket \(path): stoep is not listening there (stale socket file?)"
        case .permissionDenied(let path):
            return "permission denied on stats socket \(path)"
        case .timedOut(let path):
            return "timed out waiting for stoep on stats socket \(path)"
        case .responseTooLarge(let path, let limit):
            return "response from stats socket \(path) exceeds \(limit) bytes"
        case .system(let call, let code, let path):
            return "\(call) failed on stats socket \(path): \(String(cString: strerror(code)))"
        }
    }
}

public enum StatsClient {
    /// How long a send or a read may block before the query gives up.
    public static let defaultTimeoutSeconds = 5
    /// Upper bound on a response; `show conns` with 10,000 connections is about 2 MB.
    public static let maxResponseBytes = 64 << 20

    /// Connects to the stats socket at `socketPath`, sends `command` plus "\n" and returns everything the
    /// server writes until it closes the connection.
    public static func query(
        socketPath: String,
        command: String,
        timeoutSeconds: Int = defaultTimeoutSeconds
    ) throws(StatsClientError) -> [UInt8] {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let pathBytes = Array(socketPath.utf8)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard !pathBytes.isEmpty, pathBytes.count < capacity else { throw .pathTooLong(path: socketPath) }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: pathBytes)  // the rest stays zero: NUL-terminated
        }

        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw .system(call: "socket", errno: errno, path: socketPath) }
        defer { close(fd) }

        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        let timeoutSize = socklen_t(MemoryLayout<timeval>.size)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, timeoutSize)
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, timeoutSize)

        let connected = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { generic in
                retryingInterrupts { connect(fd, generic, socklen_t(MemoryLayout<sockaddr_un>.size)) }
            }
        }
        if connected != 0 {
            throw classify(errno, call: "connect", path: socketPath)
        }

        try sendAll(fd: fd, bytes: Array((command + "\n").utf8), path: socketPath)
        return try readToEnd(fd: fd, path: socketPath)
    }

    private static func sendAll(fd: Int32, bytes: [UInt8], path: String) throws(StatsClientError) {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes.withUnsafeBytes { raw in
                retryingInterrupts {
                    // MSG_NOSIGNAL: a server that closed early must give EPIPE, not kill the CLI with SIGPIPE.
                    Int32(truncatingIfNeeded: send(fd, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL)))
                }
            }
            if sent < 0 { throw classify(errno, call: "send", path: path) }
            offset += Int(sent)
        }
    }

    private static func readToEnd(fd: Int32, path: String) throws(StatsClientError) -> [UInt8] {
        var response: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let received = chunk.withUnsafeMutableBytes { raw in
                retryingInterrupts { Int32(truncatingIfNeeded: read(fd, raw.baseAddress!, raw.count)) }
            }
            if received < 0 { throw classify(errno, call: "read", path: path) }
            if received == 0 { return response }
            guard response.count + Int(received) <= maxResponseBytes else {
                throw .responseTooLarge(path: path, limit: maxResponseBytes)
            }
            response.append(contentsOf: chunk[0..<Int(received)])
        }
    }

    private static func classify(_ code: Int32, call: String, path: String) -> StatsClientError {
        switch code {
        case ENOENT, ENOTDIR: return .socketMissing(path: path)
        case ECONNREFUSED: return .connectionRefused(path: path)
        case EACCES, EPERM: return .permissionDenied(path: path)
        case EAGAIN, EWOULDBLOCK, ETIMEDOUT: return .timedOut(path: path)
        default: return .system(call: call, errno: code, path: path)
        }
    }

    private static func retryingInterrupts(_ call: () -> Int32) -> Int32 {
        while true {
            let result = call()
            if result < 0 && errno == EINTR { continue }
            return result
        }
    }
}
