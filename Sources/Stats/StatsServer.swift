// The stats socket server, on the reactor: one command line per connection, one JSON document back, then
// close (`echo "show info" | socat - UNIX:stoep.sock`). Documents are produced in chunks while the client
// drains them, so `show conns` with 10,000 connections stays small in memory, and a client that never
// reads holds one chunk and its descriptor until the deadline, never the loop.
import Glibc
import JSON
import Reactor

/// A connection as `show conns` lists it.
public protocol ConnectionDescribing: AnyObject {
    func describe(into w: inout JSONWriter, now: UInt64)
}

/// What the server asks the appliance for. Each call runs on the loop; none may block.
public protocol StatsProvider: AnyObject {
    func writeInfo(into w: inout JSONWriter)
    func writeStats(into w: inout JSONWriter)
    func writeConfigErrors(into w: inout JSONWriter)
    /// `show dns-clients`: per-client DNS counts and top names (an empty document without DNS).
    func writeDNSClients(into w: inout JSONWriter)
    /// `show metrics`: {"text": the Prometheus text} (an empty text without metrics.prometheus).
    func writeMetrics(into w: inout JSONWriter)
    /// The connections open now; `show conns` describes them in batches.
    func connectionSnapshot() -> [ConnectionDescribing]
    /// `show swarm`: answered later (every node is asked over the network). `done` is called once, on the
    /// loop, with one JSON document; the provider bounds the wait (the session's deadline closes it anyway).
    func answerSwarm(_ done: @escaping ([UInt8]) -> Void)
}

extension StatsProvider {
    public func writeMetrics(into w: inout JSONWriter) {
        w.beginObject()
        w.field("text", "")
        w.endObject()
    }

    public func writeDNSClients(into w: inout JSONWriter) {
        w.beginObject()
        w.endObject()
    }

    public func answerSwarm(_ done: @escaping ([UInt8]) -> Void) {
        var w = JSONWriter()
        w.beginObject()
        w.field("error", "not in a cluster: [cluster] is not configured (docs/cluster.md)")
        w.endObject()
        done(w.bytes)
    }
}

public final class StatsServer: AcceptHandler {
    public let path: String
    let loop: EventLoop
    unowned let provider: StatsProvider
    private var listener: Listener?
    var sessions: [ObjectIdentifier: StatsSession] = [:]
    /// Commands answered (a stats counter of its own).
    public internal(set) var commands: UInt64 = 0
    /// A session must be done within this time (a client that never reads is closed).
    let deadline: UInt64 = 10_000_000_000

    public enum StartError: Error, CustomStringConvertible {
        case inUse(String)
        case system(String)
        public var description: String {
            switch self {
            case .inUse(let p): return "stats socket \(p) is held by a running stoep; stop it first or pass --stats-socket"
            case .system(let s): return s
            }
        }
    }

    /// The socket file's owner: the user and group `user =` drops to, so the file is theirs from the
    /// moment it exists (nil: the process's own).
    let owner: (uid: uid_t, gid: gid_t)?

    public init(path: String, owner: (uid: uid_t, gid: gid_t)? = nil, loop: EventLoop, provider: StatsProvider) {
        self.path = path
        self.owner = owner
        self.loop = loop
        self.provider = provider
    }

    /// Binds the socket (mode 0660, owned by `owner`: stoep after the drop and its group's members may
    /// connect, nobody else; docs/security.md). A live socket at `path` means another instance: refuse. A stale file
    /// left by a crash is replaced (also one whose dead owner's io_uring still holds it for some ms).
    public func start() throws {
        var st = stat()
        if lstat(path, &st) == 0 {
            // Live only when it stays live for a second: a predecessor killed with SIGKILL leaves a socket
            // that still takes connections until the kernel has torn its io_uring down.
            if Socket.unixSocketIsLive(path: path) && Socket.unixSocketStaysLive(path: path, nanos: 1_000_000_000) {
                throw StartError.inUse(path)
            }
            guard (st.st_mode & S_IFMT) == S_IFSOCK else {
                throw StartError.system("stats socket \(path) exists and is not a socket")
            }
            unlink(path)
        }
        listener = try Listener.unix(path: path, mode: 0o660, owner: owner, loop: loop, handler: self)
    }

    public func stop() {
        listener?.close()
        listener = nil
        unlink(path)
        for s in Array(sessions.values) { s.close() }
    }

    public func accepted(fd: FileDescriptor) {
        let s = StatsSession(fd: fd, server: self)
        do {
            try s.start()
            sessions[ObjectIdentifier(s)] = s
        } catch {
            fd.close()
        }
    }

    func ended(_ s: StatsSession) {
        sessions[ObjectIdentifier(s)] = nil
    }
}
