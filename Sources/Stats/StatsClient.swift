// StatsClient: the client half of the stats socket protocol, for `stoep stats`. It runs in its own
// short-lived process, so it uses plain blocking calls (the Reactor's blocking unix connect): connect,
// send one line, read to EOF. A send and receive timeout keeps a wedged server from hanging the CLI.

import Reactor

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
    case system(call: String, errno: Errno, path: String)

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
            return "\(call) failed on stats socket \(path): \(code)"
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
        guard SocketAddress(unixPath: socketPath) != nil else { throw .pathTooLong(path: socketPath) }
        let fd: FileDescriptor
        do {
            fd = try Socket.connectBlocking(unixPath: socketPath, timeoutSeconds: timeoutSeconds)
        } catch {
            if error.call.hasPrefix("socket") { throw .system(call: "socket", errno: error.errno, path: socketPath) }
            throw classify(error.errno, call: "connect", path: socketPath)
        }
        defer { fd.close() }
        // send(2) with MSG_NOSIGNAL: a server that closed early must give EPIPE, not kill the CLI with SIGPIPE.
        if let e = fd.sendAll(Array((command + "\n").utf8)) { throw classify(e, call: "send", path: socketPath) }
        return try readToEnd(fd, path: socketPath)
    }

    private static func readToEnd(_ fd: FileDescriptor, path: String) throws(StatsClientError) -> [UInt8] {
        var response: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            switch chunk.withUnsafeMutableBytes({ fd.read(into: $0) }) {
            case .eof: return response
            case .wouldBlock: throw classify(.wouldBlock, call: "read", path: path)  // SO_RCVTIMEO passed
            case .error(let e): throw classify(e, call: "read", path: path)
            case .bytes(let received):
                guard response.count + received <= maxResponseBytes else {
                    throw .responseTooLarge(path: path, limit: maxResponseBytes)
                }
                response.append(contentsOf: chunk[0..<received])
            }
        }
    }

    private static func classify(_ code: Errno, call: String, path: String) -> StatsClientError {
        switch code {
        case .noSuchFileOrDirectory, .notDirectory: return .socketMissing(path: path)
        case .connectionRefused: return .connectionRefused(path: path)
        case .permissionDenied, .notPermitted: return .permissionDenied(path: path)
        case .wouldBlock, .timedOut: return .timedOut(path: path)
        default: return .system(call: call, errno: code, path: path)
        }
    }
}
