// The zero-copy forwarding primitive: two connected non-blocking sockets, bytes moved both ways by
// readiness, with back-pressure (a side is not read while its peer cannot take more: the pipe or buffer
// stays full and the kernel closes the TCP window), half-close propagation (EOF on one side becomes
// shutdown(SHUT_WR) on the other once everything before it is delivered), and byte counters.
//
// The relay can also own the connect of its b side: it waits for writability, checks SO_ERROR, and
// enforces the connect deadline, so a refused upstream closes the client at once.
import Glibc

public final class Relay: IOHandler {
    public enum End: Equatable {
        case completed             // both directions reached EOF and were delivered
        case connectFailed(Int32)  // the b side's connect was refused / unreachable
        case connectTimeout
        case idleTimeout
        case failed(Int32)         // a read or write failed (reset, broken pipe)
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
    private var up = Flow()    // a -> b
    private var down = Flow()  // b -> a
    private var aReadable = false, aWritable = false, bReadable = false, bWritable = false
    private var aToken: Token?, bToken: Token?
    private var timer: Timer?
    private let idleTimeout: UInt64
    private var ended = false

    public var bytesUp: UInt64 { up.bytes }
    public var bytesDown: UInt64 { down.bytes }
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
                seedUp: [UInt8] = [], seedDown: [UInt8] = []) {
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

    /// Registers both descriptors; on failure the relay ends at once.
    public func start(connectTimeout: UInt64) {
        do {
            aToken = try loop.register(fd: a.fd, handler: self)
            bToken = try loop.register(fd: b.fd, handler: self)
        } catch {
            finish(.failed((error as? SystemError)?.errno ?? EIO))
            return
        }
        let t = Timer { [unowned self] now in self.timerFired(now) }
        timer = t
        loop.schedule(t, after: connected ? idleTimeout : connectTimeout)
    }

    public func ready(fd: Int32, _ events: Readiness) {
        if fd == a.fd {
            if events.contains(.readable) { aReadable = true }
            if events.contains(.writable) { aWritable = true }
        } else {
            if !connected {
                guard events.contains(.writable) || events.contains(.error) else { return }
                let e = Socket.pendingError(b.fd)
                if e != 0 {
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
        switch up.pump(from: a, to: b, srcReady: &aReadable, dstReady: &bWritable, pool: pool, counters: counters, up: true) {
        case .failed(let e): finish(.failed(e)); return
        case .progressed: moved = true
        case .idle: break
        }
        switch down.pump(from: b, to: a, srcReady: &bReadable, dstReady: &aWritable, pool: pool, counters: counters, up: false) {
        case .failed(let e): finish(.failed(e)); return
        case .progressed: moved = true
        case .idle: break
        }
        if moved { lastActivity = loop.now }
        if up.finished && down.finished { finish(.completed) }
    }

    private func timerFired(_ now: UInt64) {
        guard !ended, let t = timer else { return }
        if !connected {
            finish(.connectTimeout)
            return
        }
        let quiet = now &- lastActivity
        if quiet >= idleTimeout {
            finish(.idleTimeout)
        } else {
            loop.schedule(t, at: lastActivity &+ idleTimeout)
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
