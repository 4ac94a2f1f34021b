// Signals as readiness: the signals we handle are blocked and read from a signalfd on the loop, so a
// handler runs as ordinary loop code (no async-signal-safety puzzles, no second thread).
import CStoep
import Glibc

public final class SignalSource: IOHandler {
    private let fd: FileDescriptor
    private var token: Token?
    private let handler: (Int32) -> Void

    /// Blocks `signals` for the process and delivers each arrival to `handler` on the loop.
    /// SIGPIPE is ignored outright: a write to a closed socket must return EPIPE, not kill us.
    public init(loop: EventLoop, signals: [Int32], handler: @escaping (Int32) -> Void) throws {
        signal(SIGPIPE, SIG_IGN)
        var mask = sigset_t()
        sigemptyset(&mask)
        for s in signals { sigaddset(&mask, s) }
        pthread_sigmask(SIG_BLOCK, &mask, nil)
        fd = FileDescriptor(rawValue: try check("signalfd") { signalfd(-1, &mask, Int32(SFD_NONBLOCK | SFD_CLOEXEC)) })
        self.handler = handler
        token = try loop.register(fd: fd, handler: self)
    }

    public func ready(fd: FileDescriptor, _ events: Readiness) {
        var info = signalfd_siginfo()
        while true {
            guard case .bytes(MemoryLayout<signalfd_siginfo>.size) = withUnsafeMutableBytes(of: &info, { fd.read(into: $0) }) else {
                return
            }
            handler(Int32(info.ssi_signo))
        }
    }
}
