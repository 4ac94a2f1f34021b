// A child process stoep spawned, watched on the loop until it is reaped: the one place that starts a
// program (posix_spawn) and waits for its end, for both kinds of child stoep has — a DNS-01 hook or
// keygen (ChildProcess) and a worker of `workers = N` (WorkerProcess). Spawn and watch sit together
// because waitpid can only reap our own children, and every child needs the same start:
// - posix_spawn (glibc uses clone(CLONE_VM|CLONE_VFORK): no copy of our memory, no fork of a process that
//   holds an io_uring), in a process group of its own (a signal to the group reaches what it started;
//   a terminal's Ctrl-C reaches stoep only), with an empty signal mask (stoep blocks the signals its
//   signalfd reads, and the mask is inherited);
// - its exit: a pidfd (pidfd_open, Linux >= 5.3) becomes readable when the child exits; then a
//   non-blocking waitpid(pid, WNOHANG) reaps it. No SIGCHLD handler (a signal would have to reach the
//   signalfd, and every child-free part of stoep would pay for it), no blocking waitpid.
// - Without pidfd_open (ENOSYS on older kernels, or seccomp), a timer asks waitpid(WNOHANG) every 50 ms.
// The watch keeps itself alive until the reap (the loop holds its pidfd's handler, or its timer holds
// it), so an owner may keep no reference.
import CStoep
import Glibc

public final class ProcessExitWatch: IOHandler {
    /// How a child ended.
    public enum Termination: Equatable, Sendable, CustomStringConvertible {
        /// It exited with this status (0 = success; -1 when the status was lost, see `reap`).
        case exited(Int32)
        /// A signal ended it (not its owner's timeout).
        case signalled(Int32)
        /// It outlived its owner's timeout and was killed (ChildProcess: SIGKILL to its process group).
        case timedOut

        public var description: String {
            switch self {
            case .exited(let code): return "exit status \(code)"
            case .signalled(let signal): return "killed by signal \(signal)"
            case .timedOut: return "killed after its timeout"
            }
        }
    }

    /// How often a loop without pidfd asks whether the child has exited.
    static let pollInterval: UInt64 = 50_000_000

    public let pid: pid_t
    /// The program, for log lines.
    let name: String
    private let loop: EventLoop
    private var onExit: ((Termination) -> Void)?
    private var pidfd = FileDescriptor.invalid
    private var pidToken: Token?
    private var poller: Timer?

    /// Watches `pid` (a child this process spawned and nobody else reaps). `onExit` runs on the loop
    /// exactly once, after the reap.
    init(pid: pid_t, name: String, loop: EventLoop, onExit: @escaping (Termination) -> Void) {
        self.pid = pid
        self.name = name
        self.loop = loop
        self.onExit = onExit
        let fd = stoep_pidfd_open(pid)
        if fd >= 0 {
            pidfd = FileDescriptor(rawValue: fd)
            pidToken = try? loop.register(fd: pidfd, handler: self)
        }
        if pidToken == nil {
            pidfd.close()
            pidfd = .invalid
            if fd < 0 { loop.log.debug("pidfd_open: \(Errno(rawValue: -fd)); polling \(name)'s exit every 50 ms") }
            let t = Timer { _ in self.reapIfExited() }  // strong: the timer keeps the watch alive
            poller = t
            loop.schedule(t, after: Self.pollInterval)
        }
    }

    /// True when a pidfd reports the exit (false: the 50 ms poller does).
    var watchedByPidfd: Bool { pidToken != nil }

    /// True until the child has been reaped (then its pid may be another process's).
    public var isRunning: Bool { onExit != nil }

    /// Sends `sig` to the child, or to its whole process group with `group`; nothing once it has been
    /// reaped.
    public func signal(_ sig: Int32, group: Bool = false) {
        guard isRunning else { return }
        _ = Glibc.kill(group ? -pid : pid, sig)
    }

    public func ready(fd: FileDescriptor, _ events: Readiness) {
        reapIfExited()
    }

    /// Reaps the child when it has exited (waitpid with WNOHANG never waits); nothing while it runs.
    private func reapIfExited() {
        guard let done = onExit else { return }
        var status: Int32 = 0
        let (r, e) = retryingEINTR { waitpid(pid, &status, WNOHANG) }
        if r == 0 {  // still running: only the poller gets here (a pidfd is readable only after the exit)
            if let t = poller { loop.schedule(t, after: Self.pollInterval) }
            return
        }
        onExit = nil
        if let t = poller { loop.cancel(t) }
        poller = nil
        if let t = pidToken { loop.deregister(t) }
        pidToken = nil
        pidfd.close()
        pidfd = .invalid
        if r < 0 {
            // ECHILD: someone else reaped it (SIGCHLD set to SIG_IGN by an embedding program); the
            // status is lost.
            loop.log.warning("waitpid \(name) (pid \(pid)): \(e)")
            done(.exited(-1))
        } else {
            done(Self.termination(status))
        }
    }

    /// Decodes a wait status (WIFEXITED / WEXITSTATUS / WTERMSIG are macros Swift does not import).
    static func termination(_ status: Int32) -> Termination {
        let signal = status & 0x7F
        if signal == 0 { return .exited((status >> 8) & 0xFF) }
        return .signalled(signal)
    }

    // MARK: spawning

    /// posix_spawn of `path` (looked up in PATH when `searchPATH` and it has no "/", as Go's exec.Command
    /// does) with `arguments` (argv[1...]; argv[0] is `path`), `environment` ("KEY=value"; nil: ours), in
    /// its own process group with an empty signal mask; the signals in `defaultSignals` back at their
    /// default action (one stoep ignores, like SIGPIPE, would stay ignored); `fileActions` adds the
    /// descriptors the child gets. The child's pid, or the errno posix_spawn returned (it reports the
    /// exec's failure: missing, not executable).
    static func spawn(_ path: String, _ arguments: [String], environment: [String]? = nil, searchPATH: Bool = false,
                      defaultSignals: [Int32] = [],
                      fileActions: (inout posix_spawn_file_actions_t) -> Void) -> Result<pid_t, Errno> {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        fileActions(&actions)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for s in defaultSignals { sigaddset(&defaults, s) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP))

        // argv and envp: C strings that live until posix_spawn returns (it has exec'd or failed by then).
        let argv = ([path] + arguments).map { strdup($0) }
        let envp = (environment ?? []).map { strdup($0) }
        defer { for p in argv + envp { free(p) } }
        var pid: pid_t = 0
        let r = (argv + [nil]).withUnsafeBufferPointer { args in
            (envp + [nil]).withUnsafeBufferPointer { env in
                let argvPointer = UnsafeMutablePointer(mutating: args.baseAddress!)
                let envPointer: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?> = environment == nil ? environ : UnsafeMutablePointer(mutating: env.baseAddress!)
                return searchPATH ? posix_spawnp(&pid, path, &actions, &attributes, argvPointer, envPointer)
                                  : posix_spawn(&pid, path, &actions, &attributes, argvPointer, envPointer)
            }
        }
        return r == 0 ? .success(pid) : .failure(Errno(rawValue: r))
    }
}
