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
    private var armed: [UInt64: (fd: FileDescriptor, listener: Bool)] = [:]
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
        if stoep_uring_has_feature(&ring, UInt32(IORING_FEAT_EXT_ARG)) == 0 {
            throw SystemError("io_uring_setup (no IORING_FEAT_EXT_ARG, kernel < 5.11)", errno: .notImplemented)
        }
    }

    deinit {
        if ringReady { io_uring_queue_exit(&ring) }
        cqes.deallocate()
    }

    /// Returns a free submission entry, submitting the queue first when it is full.
    private func sqe() -> UnsafeMutablePointer<io_uring_sqe> {
        while true {
            if let s = io_uring_get_sqe(&ring) { return s }
            _ = io_uring_submit(&ring)
        }
    }

    private func armPoll(_ fd: FileDescriptor, _ token: Token) {
        let s = sqe()
        io_uring_prep_poll_multishot(s, fd.rawValue, watchPollBits)
        io_uring_sqe_set_data64(s, token.raw)
    }

    private func armAccept(_ fd: FileDescriptor, _ token: Token) {
        let s = sqe()
        io_uring_prep_multishot_accept(s, fd.rawValue, nil, nil, Int32(SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue))
        io_uring_sqe_set_data64(s, token.raw)
    }

    func watch(fd: FileDescriptor, token: Token) throws(SystemError) {
        armed[token.raw] = (fd, false)
        armPoll(fd, token)
    }

    func unwatch(fd: FileDescriptor, token: Token) {
        guard armed.removeValue(forKey: token.raw) != nil else { return }
        removePoll(token)
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
        armed[token.raw] = (fd, true)
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
                armPoll(entry.fd, token)
            }
        }
    }
}
