// The single-threaded reactor: one backend, a table of handlers indexed by token slot, timers, and hooks
// that run once per turn. Everything in stoep runs inside `run()` on the thread that created the loop.
/// Receives readiness for a descriptor it registered. Work until EAGAIN (edge-triggered), or remember.
public protocol IOHandler: AnyObject {
    func ready(fd: FileDescriptor, _ events: Readiness)
}

/// Receives connections accepted on a listener it registered.
public protocol AcceptHandler: AnyObject {
    func accepted(fd: FileDescriptor)
}

public final class EventLoop {
    let backend: Backend
    public let log: Logger
    public var backendKind: BackendKind { backend.kind }
    public var backendFeatures: [String] { backend.features }

    private var ioHandlers: [IOHandler?] = []
    private var acceptHandlers: [AcceptHandler?] = []
    private var fds: [FileDescriptor] = []
    private var generations: [UInt32] = []
    private var freeSlots: [Int] = []
    private var timers = TimerHeap()
    private var events: [BackendEvent] = []
    private var turnHooks: [() -> Void] = []
    private var running = false

    /// Monotonic time at the start of the current turn, in nanoseconds.
    public private(set) var now: UInt64 = monotonicNanos()
    /// Loop turns so far (a stats counter).
    public private(set) var turns: UInt64 = 0
    /// Descriptors currently registered (a stats gauge).
    public var registered: Int { fds.count - freeSlots.count }

    /// `backend`: the backend to run; nil probes io_uring and falls back to epoll with a logged reason.
    public init(backend choice: BackendKind?, log: Logger) throws {
        self.log = log
        self.backend = try makeBackend(choice, log: log)
        events.reserveCapacity(512)
    }

    // MARK: registration

    private func allocateSlot(fd: FileDescriptor) -> (Int, UInt32) {
        if let s = freeSlots.popLast() {
            fds[s] = fd
            return (s, generations[s])
        }
        fds.append(fd)
        generations.append(1)
        ioHandlers.append(nil)
        acceptHandlers.append(nil)
        return (fds.count - 1, 1)
    }

    private func releaseSlot(_ s: Int) {
        ioHandlers[s] = nil
        acceptHandlers[s] = nil
        fds[s] = .invalid
        generations[s] = (generations[s] &+ 1) & 0xFF_FFFF
        if generations[s] == 0 { generations[s] = 1 }
        freeSlots.append(s)
    }

    private func live(_ token: Token) -> Int? {
        let s = token.slot
        guard s < generations.count, generations[s] == token.generation, fds[s].isValid else { return nil }
        return s
    }

    /// Watches `fd` (non-blocking) and delivers its readiness to `handler` until `deregister`.
    public func register(fd: FileDescriptor, handler: IOHandler) throws(SystemError) -> Token {
        let (s, g) = allocateSlot(fd: fd)
        let token = Token(kind: .watch, generation: g, slot: UInt32(s))
        ioHandlers[s] = handler
        do {
            try backend.watch(fd: fd, token: token)
        } catch {
            releaseSlot(s)
            throw error
        }
        return token
    }

    /// Gives a watched descriptor to another handler without touching the kernel's registration (a
    /// connection moving from its peek to its TLS handshake to its HTTP session). Readiness already
    /// reported is not repeated: the new handler acts as if its descriptor were ready. False when the
    /// token is stale.
    @discardableResult
    public func handOver(_ token: Token, to handler: IOHandler) -> Bool {
        guard let s = live(token), token.kind == .watch else { return false }
        ioHandlers[s] = handler
        return true
    }

    /// Stops watching; the caller then closes the descriptor. Safe to call twice.
    public func deregister(_ token: Token) {
        guard let s = live(token), token.kind == .watch else { return }
        backend.unwatch(fd: fds[s], token: token)
        releaseSlot(s)
    }

    /// Accepts connections on the listening socket `fd` and hands each to `handler`.
    public func addListener(fd: FileDescriptor, handler: AcceptHandler) throws(SystemError) -> Token {
        let (s, g) = allocateSlot(fd: fd)
        let token = Token(kind: .listener, generation: g, slot: UInt32(s))
        acceptHandlers[s] = handler
        do {
            try backend.watchListener(fd: fd, token: token)
        } catch {
            releaseSlot(s)
            throw error
        }
        return token
    }

    /// Stops accepting; the caller closes the descriptor.
    public func removeListener(_ token: Token) {
        guard let s = live(token), token.kind == .listener else { return }
        backend.unwatchListener(fd: fds[s], token: token)
        releaseSlot(s)
    }

    // MARK: timers

    /// Schedules (or moves) `timer` to fire `nanos` from the start of this turn.
    public func schedule(_ timer: Timer, after nanos: UInt64) {
        timers.schedule(timer, at: now &+ nanos)
    }

    public func schedule(_ timer: Timer, at deadline: UInt64) {
        timers.schedule(timer, at: deadline)
    }

    public func cancel(_ timer: Timer) {
        timers.remove(timer)
    }

    /// Runs `hook` at the end of every turn (log flush, batched stats work).
    public func addTurnHook(_ hook: @escaping () -> Void) {
        turnHooks.append(hook)
    }

    // MARK: running

    /// Runs turns until `stop()`. Each turn: wait for events (bounded by the next timer), dispatch them,
    /// fire due timers, run the turn hooks.
    public func run() throws {
        running = true
        log.buffered = true
        defer { log.buffered = false; log.flush() }
        while running {
            var timeout: UInt64? = nil
            if let next = timers.earliest {
                let t = monotonicNanos()
                timeout = next > t ? next - t : 0
            }
            events.removeAll(keepingCapacity: true)
            try backend.poll(timeoutNanos: timeout, into: &events)
            now = monotonicNanos()
            turns &+= 1
            for e in events { dispatch(e) }
            while let t = timers.popDue(now) { t.action(now) }
            for h in turnHooks { h() }
        }
    }

    /// Lets the kernel finish removals still in flight (bounded), so listening ports are released before
    /// the process exits and a restarted stoep can bind them at once.
    public func settle() {
        var spins = 0
        repeat {  // at least once: the cancelled requests' own completions follow the removals'
            events.removeAll(keepingCapacity: true)
            try? backend.poll(timeoutNanos: 1_000_000, into: &events)
            spins += 1
        } while backend.pendingRemovals > 0 && spins < 50
    }

    /// Ends `run()` after the current turn.
    public func stop() {
        running = false
    }

    @inline(__always)
    private func dispatch(_ e: BackendEvent) {
        switch e {
        case .ready(let token, let r):
            guard let s = live(token), let h = ioHandlers[s] else { return }
            h.ready(fd: fds[s], r)
        case .accepted(let token, let fd):
            guard let s = live(token), let h = acceptHandlers[s] else {
                fd.close()
                return
            }
            h.accepted(fd: fd)
        case .acceptStopped(let token, let e):
            guard let s = live(token) else { return }
            log.error("accept on \(fds[s]) stopped: \(e); retrying in 100 ms")
            let fd = fds[s]
            let retry = Timer { [weak self] _ in
                guard let self, self.live(token) != nil else { return }
                try? self.backend.watchListener(fd: fd, token: token)
            }
            schedule(retry, after: 100_000_000)
        }
    }
}
