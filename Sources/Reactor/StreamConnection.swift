// One stream connection's life on the loop, for the handlers that are not on the proxy's hot path (the
// stats socket, the status page, DNS over TCP, the health probe, the Docker API request): its transport,
// its registration, one timer (a deadline, or an idle timeout counted from the last activity), the
// readiness it was last told, an output queue written until EAGAIN, and a close that runs once — so none
// of them hand-writes cancel-timer/deregister/close or a write loop. The handler stays the IOHandler (the
// loop calls it directly, no forwarding call per readiness) and owns what is its own: parsing, answering,
// telling its owner it ended.
//
// The proxy's HTTPSession, UpstreamConnection, ConnectionOpening and the Relay keep their own: their
// registrations change hands (EventLoop.handOver, Relay adoption), their bodies move through
// SpliceChannel, not a queue, and their timers are rescheduled per request phase.
public final class StreamConnection<T: Transport> {
    public let transport: T
    private let loop: EventLoop
    private var token: Token?
    private var timer: Timer?
    /// The last readiness reported and not yet used up: set by `note`, cleared by a read or write that
    /// said EAGAIN (edge-triggered: the next report comes only after that).
    public var readable = false
    public var writable: Bool
    public private(set) var isClosed = false
    /// When the connection last saw readiness (`note`), for the idle timeout.
    public private(set) var lastActivity: UInt64
    private var output: [UInt8] = []
    private var sent = 0

    /// `writable`: whether to write before the first report (a connected socket's buffer is empty; a
    /// connecting one is not writable yet).
    public init(transport: T, loop: EventLoop, writable: Bool = true) {
        self.transport = transport
        self.loop = loop
        self.writable = writable
        lastActivity = loop.now
    }

    /// Watches the socket for `handler`. On failure nothing is registered; the caller closes.
    public func register(_ handler: IOHandler) throws(SystemError) {
        token = try loop.register(fd: transport.fd, handler: handler)
    }

    /// Calls `expired` once, `nanos` from now, unless the connection closes first.
    public func deadline(after nanos: UInt64, _ expired: @escaping () -> Void) {
        replaceTimer(Timer { _ in expired() }, after: nanos)
    }

    /// Calls `expired` once the connection saw no readiness for `idle` nanoseconds. The timer is moved
    /// from the last activity when it fires, not on every report.
    public func idleTimeout(_ idle: UInt64, _ expired: @escaping () -> Void) {
        replaceTimer(Timer { [unowned self] now in
            if now &- self.lastActivity >= idle {
                expired()
            } else if let t = self.timer {
                self.loop.schedule(t, at: self.lastActivity &+ idle)
            }
        }, after: idle)
    }

    private func replaceTimer(_ t: Timer, after nanos: UInt64) {
        if let old = timer { loop.cancel(old) }
        timer = t
        loop.schedule(t, after: nanos)
    }

    /// Takes a readiness report: the flags, and the time for the idle timeout.
    @inline(__always)
    public func note(_ events: Readiness) {
        if events.contains(.readable) { readable = true }
        if events.contains(.writable) { writable = true }
        lastActivity = loop.now
    }

    /// Bytes queued and not yet taken by the socket.
    public var pendingOutput: Int { output.count - sent }

    public func enqueue<S: Sequence<UInt8>>(_ bytes: S) { output.append(contentsOf: bytes) }

    /// Queues a whole array; taken as it is (no copy) when the queue is empty.
    public func enqueue(_ bytes: [UInt8]) {
        if sent == output.count {
            output = bytes
            sent = 0
        } else {
            output.append(contentsOf: bytes)
        }
    }

    public enum FlushOutcome: Equatable {
        /// Everything queued was written.
        case drained
        /// The socket is full (`writable` is now false); the rest goes on the next report.
        case blocked
        /// The write failed (nil: the transport reported an end); the caller closes.
        case failed(Errno?)
    }

    /// Writes the queue while the socket takes it.
    public func flush() -> FlushOutcome {
        while writable && sent < output.count {
            switch output.withUnsafeBytes({ transport.write(UnsafeRawBufferPointer(rebasing: $0[sent...])) }) {
            case .bytes(let n): sent += n
            case .wouldBlock: writable = false
            case .eof: return .failed(nil)
            case .error(let e): return .failed(e)
            }
        }
        guard sent == output.count else { return .blocked }
        output.removeAll(keepingCapacity: true)
        sent = 0
        return .drained
    }

    /// Cancels the timer, stops watching and closes the socket; false when it was closed already (the
    /// caller's own end-of-life work then has run too).
    @discardableResult
    public func close() -> Bool {
        guard !isClosed else { return false }
        isClosed = true
        if let t = timer { loop.cancel(t) }
        timer = nil
        if let t = token { loop.deregister(t) }
        token = nil
        transport.close()
        return true
    }
}
