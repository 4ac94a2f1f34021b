// io_uring backend: multishot poll for readiness, multishot accept for listeners, every request of a loop
// turn submitted in the one io_uring_enter that also waits.
//
// Why poll and not recv/splice operations: on this kernel an IORING_OP_SPLICE on an idle socket parks an
// io-wq worker thread per pending splice (DESIGN.md), which breaks the one-thread design. So io_uring is
// used for what it does without workers — readiness, accept — and the relay splices directly.
//
// Multishot poll is edge-triggered unless IORING_POLL_ADD_LEVEL is given (the kernel adds EPOLLET), which
// gives the same contract as the epoll backend. A multishot request can end (a CQE without
// IORING_CQE_F_MORE: CQ overflow, cancellation, error); it is re-armed when its token is still live.
//
// Needs kernel ≥ 5.19 (multishot accept). SINGLE_ISSUER | DEFER_TASKRUN (6.1) are asked for and dropped
// when the kernel answers EINVAL.
//
// Stream connections that opt in (EventLoop.receiveIntoRing: the HTTP sessions' plain client sockets)
// receive through a multishot recv into the loop's provided-buffer ring (ReceiveRing, ReceiveQueue): the
// bytes come in the completion, no recv(2) per request; the poll then watches EPOLLOUT only. Offered when
// DEFER_TASKRUN was granted (so the kernel is ≥ 6.1, past multishot recv's 6.0) and the ring registers.
import CStoep
import Glibc

final class IOUringBackend: Backend {
    let kind = BackendKind.ioUring
    private(set) var features: [String] = []
    private(set) var pendingRemovals = 0
    /// Removals the kernel answered -EALREADY and that were submitted again (the backend contract test reads it).
    private(set) var removalRetries = 0
    private var ring = io_uring()
    /// Live requests by token, for re-arming a multishot request the kernel ended: fd and listener flag.
    private var armed: [UInt64: (fd: FileDescriptor, listener: Bool, writeOnly: Bool)] = [:]
    /// The provided-buffer ring of multishot receives; nil when the kernel cannot (see the file header).
    private(set) var receiveRing: ReceiveRing?
    /// Receiving connections by token slot (a slot's queue is checked against the completion's token).
    private var receivers: [ReceiveQueue?] = []
    /// Queues whose recv ended with -ENOBUFS, re-armed when buffers are back (`poll`).
    private var starved: [ReceiveQueue] = []
    /// Loop turns (waits) so far: a recv armed in this turn is not submitted yet (see `unwatch`).
    private var turn: UInt64 = 0
    private var cqes: UnsafeMutablePointer<UnsafeMutablePointer<io_uring_cqe>?>
    private let batch = 512
    /// Submission entries: a full queue is submitted and refilled, so this bounds a batch, not the number
    /// of watches. The ring memory counts in resident memory (4096 entries cost ~0.4 MB idle).
    private static let entries: UInt32 = 1024
    /// Completion entries: one loop turn can bring one per ready descriptor; the kernel keeps overflow
    /// (IORING_FEAT_NODROP) but a larger CQ avoids that slow path under load.
    private static let completionEntries: UInt32 = 8192

    /// True once the ring exists: a failed init must not tear down a ring it never made (a class whose
    /// init throws after every property is set still runs deinit).
    private var ringReady = false

    init() throws(SystemError) {
        cqes = .allocate(capacity: batch)
        var params = io_uring_params()
        params.flags = stoep_setup_single_issuer() | stoep_setup_defer_taskrun() | stoep_setup_cqsize()
        params.cq_entries = Self.completionEntries
        var r = io_uring_queue_init_params(Self.entries, &ring, &params)
        if r == -EINVAL {
            params = io_uring_params()
            params.flags = stoep_setup_coop_taskrun() | stoep_setup_cqsize()
            params.cq_entries = Self.completionEntries
            r = io_uring_queue_init_params(Self.entries, &ring, &params)
            if r == 0 { features.append("coop_taskrun") }
        } else if r == 0 {
            features += ["single_issuer", "defer_taskrun"]
        }
        if r < 0 {
            throw SystemError("io_uring_setup", errno: Errno(rawValue: -r))
        }
        ringReady = true
        features += ["multishot_poll", "multishot_accept"]
        if features.contains("defer_taskrun"), let r = try? ReceiveRing(registeringWith: &ring) {
            receiveRing = r
            features.append("multishot_recv")
        }
        if stoep_uring_has_feature(&ring, UInt32(IORING_FEAT_EXT_ARG)) == 0 {
            throw SystemError("io_uring_setup (no IORING_FEAT_EXT_ARG, kernel < 5.11)", errno: .notImplemented)
        }
    }

    deinit {
        if ringReady { io_uring_queue_exit(&ring) }
        receiveRing?.deallocate()
        cqes.deallocate()
    }

    /// Returns a free submission entry, submitting the queue first when it is full.
    private func sqe() -> UnsafeMutablePointer<io_uring_sqe> {
        while true {
            if let s = io_uring_get_sqe(&ring) { return s }
            _ = io_uring_submit(&ring)
        }
    }

    private func armPoll(_ fd: FileDescriptor, _ token: Token, writeOnly: Bool = false) {
        let s = sqe()
        io_uring_prep_poll_multishot(s, fd.rawValue, writeOnly ? writeOnlyPollBits : watchPollBits)
        io_uring_sqe_set_data64(s, token.raw)
    }

    private func armAccept(_ fd: FileDescriptor, _ token: Token) {
        let s = sqe()
        io_uring_prep_multishot_accept(s, fd.rawValue, nil, nil, Int32(SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue))
        io_uring_sqe_set_data64(s, token.raw)
    }

    func watch(fd: FileDescriptor, token: Token) throws(SystemError) {
        armed[token.raw] = (fd, false, false)
        armPoll(fd, token)
    }

    func unwatch(fd: FileDescriptor, token: Token) {
        let slot = token.slot
        if slot < receivers.count, let q = receivers[slot], q.token == token {
            receivers[slot] = nil
            q.detach()
            if q.armed {
                cancelReceive(q)
                // A recv armed in this turn is still in the submission queue and names the descriptor by
                // number: submit it (and its cancellation) now, while the number is still this socket's.
                // Once the caller closed it, a socket opened later in this turn could take the number, and
                // the recv would take that socket's bytes.
                if q.armedInTurn == turn { _ = io_uring_submit(&ring) }
            }
        }
        guard armed.removeValue(forKey: token.raw) != nil else { return }
        removePoll(token)
    }

    // MARK: receiving into the ring

    func startReceiving(fd: FileDescriptor, token: Token) -> ReceiveQueue? {
        guard let ring = receiveRing, armed[token.raw] != nil else { return nil }
        let q = ReceiveQueue(token: token, fd: fd, backend: self, ring: ring)
        while receivers.count <= token.slot { receivers.append(nil) }
        receivers[token.slot] = q
        // The poll keeps reporting EPOLLOUT only: the recv's completions are the readable reports. Should
        // the update lose a race with the poll's own wake-up (-EALREADY), the poll goes on reporting
        // EPOLLIN too, which costs a wasted call to the handler, not a byte.
        armed[token.raw]!.writeOnly = true
        let s = sqe()
        io_uring_prep_poll_update(s, token.raw, 0, writeOnlyPollBits, stoep_poll_update_events() | UInt32(IORING_POLL_ADD_MULTI))
        io_uring_sqe_set_data64(s, Token.ignore.raw)
        armReceive(q)
        return q
    }

    /// Arms `q`'s multishot recv (its consumer read it under the cap, or buffers came back).
    func armReceive(_ q: ReceiveQueue) {
        guard !q.armed, !q.detached else { return }
        let s = sqe()
        stoep_prep_recv_multishot(s, q.fd.rawValue, ReceiveRing.group)
        io_uring_sqe_set_data64(s, q.token.with(kind: .receive).raw)
        q.armed = true
        q.starved = false
        q.cancelling = false
        q.armedInTurn = turn
    }

    private func cancelReceive(_ q: ReceiveQueue) {
        q.cancelling = true
        let s = sqe()
        io_uring_prep_cancel64(s, q.token.with(kind: .receive).raw, 0)
        io_uring_sqe_set_data64(s, Token.ignore.raw)
    }

    /// One completion of a multishot recv: bytes in a ring buffer, the end of the stream, or the end of
    /// the request (no IORING_CQE_F_MORE: the ring ran dry, our cancellation, an error, EOF).
    private func handleReceive(_ c: io_uring_cqe, _ token: Token, more: Bool, _ events: inout [BackendEvent]) {
        let ring = receiveRing!
        let watch = token.with(kind: .watch)
        let hasBuffer = c.flags & stoep_cqe_f_buffer() != 0
        let id = UInt16(truncatingIfNeeded: c.flags >> stoep_cqe_buffer_shift())
        if hasBuffer { ring.took() }
        let slot = token.slot
        guard slot < receivers.count, let q = receivers[slot], q.token == watch else {
            if hasBuffer { ring.give(id) }  // the watch went: its late bytes go with it
            return
        }
        if !more {
            q.armed = false
            q.cancelling = false
        }
        if c.res > 0 && hasBuffer {
            q.append(id, c.res)
            events.append(.ready(watch, .readable))
        } else {
            if hasBuffer { ring.give(id) }
            switch -c.res {
            case 0:
                q.end = .eof
                events.append(.ready(watch, [.readable, .readHangup]))
            case ENOBUFS:
                q.starved = true
                starved.append(q)
            case ECANCELED:
                break
            default:
                q.end = .error(Errno(rawValue: -c.res))
                events.append(.ready(watch, [.readable, .error]))
            }
        }
        if more {
            if q.queued >= ReceiveQueue.cap && !q.cancelling { cancelReceive(q) }
        } else if q.end == nil && !q.starved && q.queued < ReceiveQueue.cap {
            // Ended for another reason (CQ overflow), or our cancellation came after the consumer had
            // already read the queue down: nobody else would re-arm it.
            armReceive(q)
        }
    }

    /// Re-arms the recvs the ring's running dry had stopped, once some buffers are back.
    private func rearmStarved() {
        guard let ring = receiveRing, ring.inKernel >= ReceiveRing.count / 16 else { return }
        let waiting = starved
        starved.removeAll(keepingCapacity: true)
        for q in waiting where q.starved && q.end == nil && q.queued < ReceiveQueue.cap {
            armReceive(q)
        }
    }

    /// The poll request holds a reference to the file: remove it, or the socket outlives close(2).
    /// The removal answers -EALREADY while the poll is mid-completion (its wake-up task work owns it);
    /// it is then submitted again until it takes (see `handle`).
    private func removePoll(_ token: Token) {
        pendingRemovals += 1
        let s = sqe()
        io_uring_prep_poll_remove(s, token.raw)
        io_uring_sqe_set_data64(s, token.with(kind: .removal).raw)
    }

    func watchListener(fd: FileDescriptor, token: Token) throws(SystemError) {
        armed[token.raw] = (fd, true, false)
        armAccept(fd, token)
    }

    func unwatchListener(fd: FileDescriptor, token: Token) {
        guard armed.removeValue(forKey: token.raw) != nil else { return }
        cancellingListeners.insert(token.with(kind: .removal).raw)
        cancelAccept(token)
    }

    /// Listeners being cancelled, by removal token, so an -EALREADY answer is retried the right way.
    private var cancellingListeners: Set<UInt64> = []

    private func cancelAccept(_ token: Token) {
        pendingRemovals += 1
        let s = sqe()
        io_uring_prep_cancel64(s, token.raw, 0)
        io_uring_sqe_set_data64(s, token.with(kind: .removal).raw)
    }

    func poll(timeoutNanos: UInt64?, into events: inout [BackendEvent]) throws(SystemError) {
        if !starved.isEmpty { rearmStarved() }
        turn &+= 1
        var cqe: UnsafeMutablePointer<io_uring_cqe>? = nil
        var r: Int32
        if let t = timeoutNanos {
            var ts = __kernel_timespec(tv_sec: Int64(t / 1_000_000_000), tv_nsec: Int64(t % 1_000_000_000))
            r = io_uring_submit_and_wait_timeout(&ring, &cqe, 1, &ts, nil)
        } else {
            r = io_uring_submit_and_wait_timeout(&ring, &cqe, 1, nil, nil)
        }
        if r < 0 && r != -ETIME && r != -EINTR && r != -EBUSY && r != -EAGAIN {
            throw SystemError("io_uring_enter", errno: Errno(rawValue: -r))
        }
        while true {
            let n = Int(io_uring_peek_batch_cqe(&ring, cqes, UInt32(batch)))
            if n == 0 { break }
            for i in 0..<n {
                guard let c = cqes[i] else { continue }
                handle(c.pointee, &events)
            }
            io_uring_cq_advance(&ring, UInt32(n))
        }
    }

    private func handle(_ c: io_uring_cqe, _ events: inout [BackendEvent]) {
        let token = Token(raw: c.user_data)
        if token.kind == .ignore { return }
        let more = c.flags & stoep_cqe_f_more() != 0
        switch token.kind {
        case .removal:
            pendingRemovals -= 1
            if c.res == -EALREADY {
                removalRetries += 1
                // Listener tokens are cancelled with ASYNC_CANCEL, watches with POLL_REMOVE: retry the same.
                if cancellingListeners.contains(token.raw) { cancelAccept(token.with(kind: .listener)) } else { removePoll(token.with(kind: .watch)) }
            } else {
                cancellingListeners.remove(token.raw)
            }
        case .receive:
            handleReceive(c, token, more: more, &events)
        case .listener:
            if c.res >= 0 {
                events.append(.accepted(token, FileDescriptor(rawValue: c.res)))
            }
            if !more, let entry = armed[token.raw] {
                let e = -c.res
                if c.res < 0 && (e == EMFILE || e == ENFILE || e == ENOMEM || e == ENOBUFS) {
                    armed[token.raw] = nil
                    events.append(.acceptStopped(token, Errno(rawValue: e)))
                } else {
                    armAccept(entry.fd, token)
                }
            }
        default:
            if c.res >= 0 {
                events.append(.ready(token, Readiness.fromPollBits(UInt32(c.res))))
            } else if c.res != -ECANCELED {
                events.append(.ready(token, [.error, .readable, .writable]))
            }
            if !more, let entry = armed[token.raw], c.res != -ECANCELED {
                armPoll(entry.fd, token, writeOnly: entry.writeOnly)
            }
        }
    }
}
