// A child process on the loop: the one external program stoep runs is the DNS-01 `exec` hook (lego's
// EXEC_PATH), and it must not stall DNS or the proxy while it works. Spawned and reaped through a
// ProcessExitWatch (posix_spawn in its own process group; the exit seen through a pidfd, or a 50 ms poll
// without one), its stdout and stderr captured through one pipe into a bounded buffer for the log.
// A timeout SIGKILLs the child's whole process group (so a shell script's `curl` dies with it) and the
// exit is reaped as any other.
// The child gets our environment, /dev/null as stdin, an empty signal mask and SIGPIPE back to its
// default (stoep blocks the signals its signalfd reads and ignores SIGPIPE; both would be inherited).
// Completion comes once the child is reaped; output its own children still write after that is not
// waited for (the pipe's read end is closed). Until then the process keeps itself alive (its watch and
// timer hold it), so a caller may start one and keep no reference.
import CStoep
import Glibc

public final class ChildProcess: IOHandler {
    public typealias Termination = ProcessExitWatch.Termination

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
    public var pid: pid_t { watch.pid }
    public let path: String
    private let loop: EventLoop
    private let outputLimit: Int
    private var completion: ((Outcome) -> Void)?
    private var watch: ProcessExitWatch!
    private var output = FileDescriptor.invalid
    private var outputToken: Token?
    private var deadline: Timer?
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
        let spawned = ProcessExitWatch.spawn(path, arguments, searchPATH: true, defaultSignals: [SIGPIPE]) { actions in
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
            posix_spawn_file_actions_adddup2(&actions, writeEnd.rawValue, 1)
            posix_spawn_file_actions_adddup2(&actions, writeEnd.rawValue, 2)
        }
        writeEnd.close()  // the child holds its copies; ours would keep the pipe from ever ending
        let pid: pid_t
        switch spawned {
        case .failure(let e):
            readEnd.close()
            throw SystemError("posix_spawn \(path)", errno: e)
        case .success(let spawnedPid):
            pid = spawnedPid
        }
        output = readEnd
        outputToken = try? loop.register(fd: readEnd, handler: self)  // unwatched output is read at exit
        watch = ProcessExitWatch(pid: pid, name: path, loop: loop) { self.exited($0) }
        let t = Timer { _ in self.killOnTimeout() }
        deadline = t
        loop.schedule(t, after: timeoutNanos)
    }

    /// True when a pidfd reports the exit (false: the 50 ms poller does).
    var exitWatchedByPidfd: Bool { watch.watchedByPidfd }

    /// Kills the child now (SIGKILL to its process group); the completion still comes, after the reap,
    /// with `.signalled(SIGKILL)`. For shutting down with a hook still running.
    public func kill() {
        watch.signal(SIGKILL, group: true)
    }

    public func ready(fd: FileDescriptor, _ events: Readiness) {
        drainOutput()
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

    /// The watch reaped the child: the output it still holds, then the completion.
    private func exited(_ termination: Termination) {
        drainOutput()
        finish(Outcome(termination: timedOut ? .timedOut : termination, output: captured, outputDropped: dropped))
    }

    private func killOnTimeout() {
        guard completion != nil else { return }
        timedOut = true
        watch.signal(SIGKILL, group: true)  // the group: the child and whatever it started
        // The exit is reaped when the watch sees it, like any other.
    }

    private func finish(_ outcome: Outcome) {
        guard let done = completion else { return }
        completion = nil
        if let t = deadline { loop.cancel(t) }
        deadline = nil
        closeOutput()
        done(outcome)
    }
}
