// The backend contract: how the EventLoop learns that descriptors are ready.
//
// Semantics are edge-triggered on both backends: a watched descriptor is reported when it becomes
// readable/writable; the handler must then work until EAGAIN (or remember that it stopped early).
// A handler that skips the read after a short one (the socket's queue looked empty) must not do so once a
// report carried `.readHangup`: a FIN that arrived with the last data is reported in that same report only,
// and the EOF behind the data is announced by no later one.
// Listeners are the exception: the backend accepts connections itself (multishot accept on io_uring,
// accept4 on level-triggered readiness on epoll) and reports each new descriptor.

/// What a backend reports from one wait.
public enum BackendEvent {
    /// A watched descriptor changed readiness.
    case ready(Token, Readiness)
    /// A listener accepted a connection; the descriptor is non-blocking and close-on-exec.
    case accepted(Token, FileDescriptor)
    /// A listener stopped accepting because of this error (EMFILE, ENFILE, ENOMEM…); the loop re-arms it later.
    case acceptStopped(Token, Errno)
}

public enum BackendKind: String, Sendable {
    case ioUring = "io_uring"
    case epoll = "epoll"
}

protocol Backend: AnyObject {
    var kind: BackendKind { get }
    /// Human-readable features for `show info` (e.g. "defer_taskrun").
    var features: [String] { get }
    /// Starts edge-triggered readiness reports (in, out, rdhup) for `fd` under `token`.
    func watch(fd: FileDescriptor, token: Token) throws(SystemError)
    /// Stops reports for `fd`. The caller closes `fd` afterwards; late reports for `token` may still come
    /// and are ignored by the loop through the token's generation.
    func unwatch(fd: FileDescriptor, token: Token)
    /// Starts accepting on the listening socket `fd`; each connection arrives as `.accepted`.
    func watchListener(fd: FileDescriptor, token: Token) throws(SystemError)
    /// Stops accepting on `fd`.
    func unwatchListener(fd: FileDescriptor, token: Token)
    /// Submits pending requests and waits up to `timeoutNanos` (nil: no limit) for events, appending them.
    func poll(timeoutNanos: UInt64?, into events: inout [BackendEvent]) throws(SystemError)
    /// Removals submitted whose completion has not come back yet (io_uring: until then the kernel still
    /// holds the descriptor, so a listener's port stays bound).
    var pendingRemovals: Int { get }
}

/// Makes the backend `choice` names (`--backend io_uring|epoll`). nil (`--backend auto`) tries io_uring
/// and falls back to epoll with one log line saying why (seccomp EPERM in containers, ENOSYS on old
/// kernels, kernel.io_uring_disabled).
func makeBackend(_ choice: BackendKind?, log: Logger) throws -> Backend {
    switch choice {
    case .epoll:
        return try EpollBackend()
    case .ioUring:
        return try IOUringBackend()
    case nil:
        do {
            return try IOUringBackend()
        } catch {
            log.warning("io_uring unavailable (\(error)), falling back to epoll")
            return try EpollBackend()
        }
    }
}
