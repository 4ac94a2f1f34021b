// A child process on the loop: the one external program stoep runs is the DNS-01 `exec` hook (lego's
// EXEC_PATH), and it must not stall DNS or the proxy while it works. Spawned with posix_spawn (glibc uses
// clone(CLONE_VM|CLONE_VFORK): no copy of our memory, no thread), its stdout and stderr captured through
// one pipe into a bounded buffer for the log, its exit reaped on the loop:
// - a pidfd (pidfd_open, Linux >= 5.3) becomes readable when the child exits; then a non-blocking
//   waitpid(pid, WNOHANG) reaps it. No SIGCHLD handler (a signal would have to reach the signalfd, and
//   every other child-free part of stoep would pay for it), no blocking waitpid.
// - Without pidfd_open (ENOSYS on older kernels, or seccomp), a timer asks waitpid(WNOHANG) every 50 ms.
// - A timeout SIGKILLs the child's whole process group (the child leads its own group, so a shell
//   script's `curl` dies with it) and the exit is reaped as above.
// The child gets our environment, /dev/null as stdin, an empty signal mask and SIGPIPE back to its
// default (stoep blocks the signals its signalfd reads and ignores SIGPIPE; both would be inherited).
// Completion comes once the child is reaped; output its own children still write after that is not
// waited for (the pipe's read end is closed). Until then the process keeps itself alive (its timers hold
// it), so a caller may start one and keep no reference.
import CStoep
import Glibc

public final class ChildProcess: IOHandler {
    /// How the child ended.
    public enum Termination: Equatable, Sendable, CustomStringConvertible {
        /// It exited with this status (0 = success).
        case exited(Int32)
        /// A signal ended it (not ours).
        case signalled(Int32)
        /// It outlived its timeout and was killed (SIGKILL to its process group).
        case timedOut

        public var description: String {
            switch self {
            case .exited(let code): return "exit status \(code)"
            case .signalled(let signal): return "killed by signal \(signal)"
            case .timedOut: return "killed after its timeout"
            }
        }
    }

    /// What the completion receives.
    public struct Outcome: Sendable {
        public let termination: Termination
        /// The last `outputLimit` bytes the child wrote to stdout and stderr (interleaved as written).
        public let output: [UInt8]
        /// Bytes written beyond the limit and dropped from the front.
        public let outputDropped: Int
        /// The output as text for a log line: invalid UTF-8 repaired, trailing white space cut.
        public var outputText: String {
            var text = String(decoding: output, as: UTF8.self)
            while let last = text.last, last.isWhitespace { text.removeLast() }
            return outputDropped > 0 ? "…" + text : text
        }
    }

    /// The bytes of output kept for the log: a hook's error message, not its chatter.
    public static let defaultOutputLimit = 4096
    /// How often a loop without pidfd asks whether the child has exited.
    static let pollInterval: UInt64 = 50_000_000

    public let pid: pid_t
    public let path: String
    private let loop: EventLoop
    private let outputLimit: Int
    private var completion: ((Outcome) -> Void)?
    private var pidfd = FileDescriptor.invalid
    private var pidToken: Token?
    private var output = FileDescriptor.invalid
    private var outputToken: Token?
    private var deadline: Timer?
    private var poller: Timer?
    private var captured: [UInt8] = []
    private var dropped = 0
    private var timedOut = false

    /// Starts `path` (looked up in PATH when it has no "/", as Go's exec.Command does) with `arguments`
    /// (argv[1...]; argv[0] is `path`). `completion` runs on the loop exactly once, after the child was
    /// reaped. Throws when the program cannot be started at all (missing, not executable: posix_spawn
    /// reports the exec's failure) or a descriptor cannot be made.
    public init(path: String, arguments: [String], timeoutNanos: UInt64, loop: EventLoop,
                outputLimit: Int = ChildProcess.defaultOutputLimit,
                completion: @escaping (Outcome) -> Void) throws(SystemError) {
        self.path = path
        self.loop = loop
        self.outputLimit = outputLimit
        self.completion = completion
        var fds: [Int32] = [-1, -1]
        let piped = stoep_child_pipe(&fds)
        if piped < 0 { throw SystemError("pipe for \(path)", errno: Errno(rawValue: -piped)) }
        let (readEnd, writeEnd) = (FileDescriptor(rawValue: fds[0]), FileDescriptor(rawValue: fds[1]))
        let spawned = Self.spawn(path, arguments, output: writeEnd)
        writeEnd.close()  // the child holds its copies; ours would keep the pipe from ever ending
        switch spawned {
        case .failure(let e):
            readEnd.close()
            throw SystemError("posix_spawn \(path)", errno: e)
        case .success(let pid):
            self.pid = pid
        }
        output = readEnd
        outputToken = try? loop.register(fd: readEnd, handler: self)  // unwatched output is read at exit
        let fd = stoep_pidfd_open(pid)
        if fd >= 0 {
            pidfd = FileDescriptor(rawValue: fd)
            pidToken = try? loop.register(fd: pidfd, handler: self)
        }
        if pidToken == nil {
            pidfd.close()
            pidfd = .invalid
            if fd < 0 { loop.log.debug("pidfd_open: \(Errno(rawValue: -fd)); polling \(path)'s exit every 50 ms") }
            let t = Timer { _ in self.reapIfExited() }
            poller = t
            loop.schedule(t, after: Self.pollInterval)
        }
        let t = Timer { _ in self.killOnTimeout() }
        deadline = t
        loop.schedule(t, after: timeoutNanos)
    }

    /// True when a pidfd reports the exit (false: the 50 ms poller does).
    var exitWatchedByPidfd: Bool { pidToken != nil }

    /// Kills the child now (SIGKILL to its process group); the completion still comes, after the reap,
    /// with `.signalled(SIGKILL)`. For shutting down with a hook still running.
    public func kill() {
        guard completion != nil else { return }
        _ = Glibc.kill(-pid, SIGKILL)
    }

    public func ready(fd: FileDescriptor, _ events: Readiness) {
        if fd == output {
            drainOutput()
        } else if fd == pidfd {
            reapIfExited()
        }
    }

    // MARK: spawning

    /// posix_spawnp with stdout and stderr on `output`, stdin from /dev/null, its own process group, an
    /// empty signal mask and SIGPIPE at its default. The child's pid, or the errno posix_spawn returned.
    private static func spawn(_ path: String, _ arguments: [String], output: FileDescriptor) -> Result<pid_t, Errno> {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, output.rawValue, 1)
        posix_spawn_file_actions_adddup2(&actions, output.rawValue, 2)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        sigaddset(&defaults, SIGPIPE)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setpgroup(&attributes, 0)  // its own group: a timeout kills its children too
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP))

        // argv: C strings that live until posix_spawnp returns (it has exec'd or failed by then).
        let argv = ([path] + arguments).map { strdup($0) }
        defer { for p in argv { free(p) } }
        var pid: pid_t = 0
        let r = (argv + [nil]).withUnsafeBufferPointer { args in
            posix_spawnp(&pid, path, &actions, &attributes, UnsafeMutablePointer(mutating: args.baseAddress!), environ)
        }
        return r == 0 ? .success(pid) : .failure(Errno(rawValue: r))
    }

    // MARK: output and exit

    /// Reads what the pipe holds now, keeping the last `outputLimit` bytes.
    private func drainOutput() {
        guard output.isValid else { return }
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            switch chunk.withUnsafeMutableBytes({ output.read(into: $0) }) {
            case .bytes(let n):
                captured += chunk[0..<n]
                if captured.count > outputLimit {
                    let excess = captured.count - outputLimit
                    captured.removeFirst(excess)
                    dropped += excess
                }
            case .wouldBlock:
                return
            case .eof, .error:
                closeOutput()
                return
            }
        }
    }

    private func closeOutput() {
        if let t = outputToken { loop.deregister(t) }
        outputToken = nil
        output.close()
        output = .invalid
    }

    /// Reaps the child when it has exited (waitpid with WNOHANG never waits); nothing while it runs.
    private func reapIfExited() {
        guard completion != nil else { return }
        var status: Int32 = 0
        let (r, e) = retryingEINTR { waitpid(pid, &status, WNOHANG) }
        if r == 0 {  // still running: only the poller gets here (a pidfd is readable only after the exit)
            if let t = poller { loop.schedule(t, after: Self.pollInterval) }
            return
        }
        let termination: Termination
        if r < 0 {
            // ECHILD: someone else reaped it (SIGCHLD set to SIG_IGN by an embedding program); the
            // status is lost.
            loop.log.warning("waitpid \(path) (pid \(pid)): \(e)")
            termination = .exited(-1)
        } else if timedOut {
            termination = .timedOut
        } else {
            termination = Self.termination(status)
        }
        drainOutput()
        finish(Outcome(termination: termination, output: captured, outputDropped: dropped))
    }

    /// Decodes a wait status (WIFEXITED / WEXITSTATUS / WTERMSIG are macros Swift does not import).
    static func termination(_ status: Int32) -> Termination {
        let signal = status & 0x7F
        if signal == 0 { return .exited((status >> 8) & 0xFF) }
        return .signalled(signal)
    }

    private func killOnTimeout() {
        guard completion != nil else { return }
        timedOut = true
        _ = Glibc.kill(-pid, SIGKILL)  // the group: the child and whatever it started
        // The exit is reaped when the pidfd reports it (or by the poller), like any other.
    }

    private func finish(_ outcome: Outcome) {
        guard let done = completion else { return }
        completion = nil
        if let t = deadline { loop.cancel(t) }
        if let t = poller { loop.cancel(t) }
        deadline = nil
        poller = nil
        if let t = pidToken { loop.deregister(t) }
        pidToken = nil
        pidfd.close()
        pidfd = .invalid
        closeOutput()
        done(outcome)
    }
}
