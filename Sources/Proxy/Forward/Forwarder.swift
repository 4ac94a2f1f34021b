// Raw TCP forwarding, the first workload of the reactor: every connection accepted on `listen` is relayed
// to `upstream` with splice(2). A refused or unreachable upstream closes the client at once; the connect
// deadline and the idle timeout are enforced by the relay.
import Glibc
import Reactor

public final class Forwarder: AcceptHandler {
    public struct Settings: Equatable {
        public var name: String
        public var listen: String
        public var upstream: String
        public var connectTimeout: UInt64  // nanoseconds
        public var idleTimeout: UInt64     // nanoseconds
        public init(name: String, listen: String, upstream: String, connectTimeout: UInt64, idleTimeout: UInt64) {
            self.name = name
            self.listen = listen
            self.upstream = upstream
            self.connectTimeout = connectTimeout
            self.idleTimeout = idleTimeout
        }
    }

    /// Counters the stats socket reads live.
    public final class Counters {
        public var accepted: UInt64 = 0
        public var connectFailures: UInt64 = 0
        public var connectTimeouts: UInt64 = 0
        public var idleTimeouts: UInt64 = 0
        public var resets: UInt64 = 0
        public var completed: UInt64 = 0
        public let bytes = RelayCounters()
    }

    public private(set) var settings: Settings
    public let counters = Counters()
    public private(set) var relays: [UInt64: Relay] = [:]
    private let loop: EventLoop
    private let pool: PipePool
    private let ids: ConnectionIDs
    private var upstreamAddress: SocketAddress
    private let bindAddress: SocketAddress
    private var listener: Listener?

    /// Validates the addresses; `start()` binds.
    public init(_ settings: Settings, loop: EventLoop, pool: PipePool, ids: ConnectionIDs,
                listenAddress: SocketAddress, upstreamAddress: SocketAddress) {
        self.settings = settings
        self.loop = loop
        self.pool = pool
        self.ids = ids
        self.upstreamAddress = upstreamAddress
        self.bindAddress = listenAddress
    }

    public func start() throws {
        listener = try Listener.tcp(bindAddress, loop: loop, handler: self)
    }

    /// A reload with the same listen address keeps the listener and takes the new upstream and timeouts;
    /// established relays keep theirs.
    public func update(_ s: Settings, upstreamAddress: SocketAddress) {
        settings = s
        self.upstreamAddress = upstreamAddress
    }

    /// Stops accepting; established relays go on until they end.
    public func stopAccepting() {
        listener?.close()
        listener = nil
    }

    public func abortAll() {
        for r in Array(relays.values) { r.abort() }
    }

    public func accepted(fd: FileDescriptor) {
        counters.accepted &+= 1
        Socket.setNoDelay(fd)
        let upstreamFD: FileDescriptor
        do {
            upstreamFD = try Socket.connectTCP(upstreamAddress)
        } catch {
            counters.connectFailures &+= 1
            loop.log.warning("forward \(settings.name): \(error)")
            fd.close()
            return
        }
        let relay = Relay(id: ids.next(), loop: loop, pool: pool, counters: counters.bytes,
                          a: PlainTransport(fd: fd), b: PlainTransport(fd: upstreamFD), connecting: true,
                          idleTimeout: settings.idleTimeout)
        relays[relay.id] = relay
        relay.onEnd = { [unowned self] r, end in self.ended(r, end) }
        relay.start(connectTimeout: settings.connectTimeout)
    }

    private func ended(_ r: Relay, _ end: Relay.End) {
        relays[r.id] = nil
        switch end {
        case .completed: counters.completed &+= 1
        case .connectFailed(let e):
            counters.connectFailures &+= 1
            loop.log.warning("forward \(settings.name): connect \(settings.upstream): \(e)")
        case .connectTimeout:
            counters.connectTimeouts &+= 1
            loop.log.warning("forward \(settings.name): connect \(settings.upstream): timed out")
        case .idleTimeout: counters.idleTimeouts &+= 1
        case .failed: counters.resets &+= 1
        case .aborted: break
        }
    }
}
