// The zero-copy forwarding primitive: two connected non-blocking sockets, bytes moved both ways by
// readiness, with back-pressure (a side is not read while its peer cannot take more: the pipe or buffer
// stays full and the kernel closes the TCP window), half-close propagation (EOF on one side becomes
// shutdown(SHUT_WR) on the other once everything before it is delivered), and byte counters.
//
// The relay can also own the connect of its b side: it waits for writability, checks SO_ERROR, and
// enforces the connect deadline, so a refused upstream closes the client at once.
public final class Relay: IOHandler {
    public enum End: Equatable {
        case completed             // both directions reached EOF and were delivered
        case connectFailed(Errno)  // the b side's connect was refused / unreachable
        case connectTimeout
        case idleTimeout
        case failed(Errno)         // a read or write failed (reset, broken pipe)
        case aborted               // closed by the owner (shutdown)
    }

    public let id: UInt64
    public let a: Transport
    public let b: Transport
    public let startedAt: UInt64
    public private(set) var lastActivity: UInt64
    public private(set) var connected: Bool
    public var onEnd: ((Relay, End) -> Void)?
    /// What `show conns` calls it: "forward" ([[forward]]) or "upgrade" (an HTTP connection after 101).
    public var kind = "forward"

    private let loop: EventLoop
    private let pool: PipePool
    private let counters: RelayCounters
    private var up = SpliceChannel(finishOnEOF: true, direction: .up)      // a -> b
    private var down = SpliceChannel(finishOnEOF: true, direction: .down)  // b -> a
    private var aReadable = false, aWritable = false, bReadable = false, bWritable = false
    private var aToken: Token?, bToken: Token?
    private var timer: Timer?
    private let idleTimeout: UInt64
    /// Once one direction ended (its EOF passed on as a half-close), how long the other may go on before
    /// both sides close: Traefik's TCP terminationDelay (pkg/tcp/proxy.go sets that read deadline on the
    /// peer it half-closed). nil = until the other direction ends too.
    private let terminationDelay: UInt64?
    private var halfClosedAt: UInt64 = 0
    private var ended = false

    public var bytesUp: UInt64 { up.moved }
    public var bytesDown: UInt64 { down.moved }
    public var state: String {
        if !connected { return "connecting" }
        if up.finished && down.finished { return "closing" }
        if up.finished || down.finished { return "half-closed" }
        return "established"
    }

    /// Starts relaying between `a` and `b`. With `connecting`, `b` is a socket whose non-blocking connect is
    /// in progress; `start(connectTimeout:)` bounds it. `seedUp`/`seedDown` are bytes
    /// already read that go first.
    public init(id: UInt64, loop: EventLoop, pool: PipePool, counters: RelayCounters, a: Transport, b: Transport,
                connecting: Bool, idleTimeout: UInt64,
                seedUp: [UInt8] = [], seedDown: [UInt8] = [], terminationDelay: UInt64? = nil) {
        self.terminationDelay = terminationDelay
        self.id = id
        self.loop = loop
        self.pool = pool
        self.counters = counters
        self.a = a
        self.b = b
        self.connected = !connecting
        self.idleTimeout = idleTimeout
        self.startedAt = loop.now
        self.lastActivity = loop.now
        up.seed(seedUp)
        down.seed(seedDown)
        // Start as if readable: a TLS transport may already hold decrypted bytes its socket will not
        // signal again (read ahead before the hand-over). A plain socket just answers EAGAIN once.
        aReadable = true
        bReadable = !connecting
        if connecting {
            bWritable = false
        }
    }

    /// Watches both descriptors; on failure the relay ends at once. A side whose registration an earlier
    /// handler had (`adoptingA`/`adoptingB`: a peek, a TLS handshake, an HTTP session before an upgrade) is
    /// handed over (`EventLoop.handOver`), not removed and made anew. Readiness already reported to that
    /// handler does not come again, so an adopted side starts as readable and writable, and the relay
    /// moves what it can at once (a peek leaves the client's first bytes in the socket).
    public func start(connectTimeout: UInt64, adoptingA: Token? = nil, adoptingB: Token? = nil) {
        var adopted = false
        do {
            let (ta, aAdopted) = try watch(a.fd, adopting: adoptingA)
            aToken = ta
            if aAdopted { aReadable = true; aWritable = true; adopted = true }
            let (tb, bAdopted) = try watch(b.fd, adopting: adoptingB)
            bToken = tb
            if bAdopted && connected { bReadable = true; bWritable = true; adopted = true }
        } catch {
            finish(.failed(error.errno))
            return
        }
        let t = Timer { [unowned self] now in self.timerFired(now) }
        timer = t
        loop.schedule(t, after: connected ? idleTimeout : connectTimeout)
        if adopted { pump() }
    }

    private func watch(_ fd: FileDescriptor, adopting token: Token?) throws(SystemError) -> (Token, adopted: Bool) {
        if let token, loop.handOver(token, to: self) { return (token, true) }
        return (try loop.register(fd: fd, handler: self), false)
    }

    public func ready(fd: FileDescriptor, _ events: Readiness) {
        if fd == a.fd {
            if events.contains(.readable) { aReadable = true }
            if events.contains(.writable) { aWritable = true }
        } else {
            if !connected {
                guard events.contains(.writable) || events.contains(.error) else { return }
                if let e = Socket.pendingError(b.fd) {
                    finish(.connectFailed(e))
                    return
                }
                connected = true
                if let t = timer { loop.schedule(t, after: idleTimeout) }
            }
            if events.contains(.readable) { bReadable = true }
            if events.contains(.writable) { bWritable = true }
        }
        pump()
    }

    private func pump() {
        guard connected, !ended else { return }
        var moved = false
        if case .failed(let e) = up.pump(from: a, to: b, srcReady: &aReadable, dstReady: &bWritable, pool: pool,
                                         counters: counters, progressed: &moved) {
            finish(.failed(e))
            return
        }
        if case .failed(let e) = down.pump(from: b, to: a, srcReady: &bReadable, dstReady: &aWritable, pool: pool,
                                           counters: counters, progressed: &moved) {
            finish(.failed(e))
            return
        }
        if moved { lastActivity = loop.now }
        if up.finished && down.finished { return finish(.completed) }
        if let delay = terminationDelay, halfClosedAt == 0, up.finished || down.finished {
            halfClosedAt = loop.now
            if delay == 0 { return finish(.completed) }
            if let t = timer { loop.schedule(t, at: min(t.deadline, halfClosedAt &+ delay)) }
        }
    }

    private func timerFired(_ now: UInt64) {
        guard !ended, let t = timer else { return }
        if !connected {
            finish(.connectTimeout)
            return
        }
        if let delay = terminationDelay, halfClosedAt != 0 {
            if now &- halfClosedAt >= delay { return finish(.completed) }
        }
        let quiet = now &- lastActivity
        if quiet >= idleTimeout {
            finish(.idleTimeout)
        } else {
            var next = lastActivity &+ idleTimeout
            if let delay = terminationDelay, halfClosedAt != 0 { next = min(next, halfClosedAt &+ delay) }
            loop.schedule(t, at: next)
        }
    }

    /// Closes both sides now (graceful shutdown past its deadline, or the owner's decision).
    public func abort() {
        finish(.aborted)
    }

    private func finish(_ end: End) {
        guard !ended else { return }
        ended = true
        if let t = timer { loop.cancel(t) }
        timer = nil
        if let t = aToken { loop.deregister(t) }
        if let t = bToken { loop.deregister(t) }
        up.release(pool)
        down.release(pool)
        a.close()
        b.close()
        onEnd?(self, end)
        onEnd = nil
    }
}
