// One worker of `workers = N`, seen from the supervisor: this same executable started again (posix_spawn
// of /proc/self/exe: a fresh image, no copy of the supervisor's heap, no fork of a process that holds an
// io_uring) with the supervisor's arguments and a hidden `--worker I`. Two things come back on the loop:
// - readiness: the worker writes one byte to descriptor 3 (the write end of a pipe the supervisor made)
//   once it has bound every listener and dropped privileges (`announceReady`); an end of file without
//   that byte means it died during start-up;
// - its exit: a pidfd (Linux >= 5.3) becomes readable, then waitpid(WNOHANG) reaps it; without pidfd a
//   timer asks every 50 ms (as ChildProcess does).
// The worker leads its own process group: a terminal's Ctrl-C reaches the supervisor only, which passes
// SIGTERM on once, so a worker's graceful drain is not cut short by a second signal. Its stdout and
// stderr are the supervisor's (one log). The worker side (`announceReady`, `pin`, `dieWithParent`) is here
// too, so the handshake lives in one file.
import CStoep
import Glibc

public final class WorkerProcess: IOHandler {
    public typealias Termination = ChildProcess.Termination

    public let pid: pid_t
    private let loop: EventLoop
    private var readyPipe = FileDescriptor.invalid
    private var readyToken: Token?
    private var pidfd = FileDescriptor.invalid
    private var pidToken: Token?
    private var poller: Timer?
    private var onReady: (() -> Void)?
    private var onExit: ((Termination) -> Void)?
    public private(set) var isReady = false

    /// The descriptor a worker finds its readiness pipe on.
    static let readyDescriptor: Int32 = 3

    /// Starts `executable` with `arguments` (argv[1...]) and `environment` ("KEY=value"). `onReady` runs at
    /// most once; `onExit` exactly once, after the reap. Throws when the process cannot be started.
    public init(executable: String, arguments: [String], environment: [String], loop: EventLoop,
                onReady: @escaping () -> Void, onExit: @escaping (Termination) -> Void) throws(SystemError) {
        self.loop = loop
        self.onReady = onReady
        self.onExit = onExit
        var fds: [Int32] = [-1, -1]
        let piped = stoep_child_pipe(&fds)
        if piped < 0 { throw SystemError("pipe for a worker", errno: Errno(rawValue: -piped)) }
        let (readEnd, writeEnd) = (FileDescriptor(rawValue: fds[0]), FileDescriptor(rawValue: fds[1]))
        let spawned = Self.spawn(executable, arguments, environment, readyWriteEnd: writeEnd)
        writeEnd.close()  // the worker holds its copy; ours would hide its death before readiness
        switch spawned {
        case .failure(let e):
            readEnd.close()
            throw SystemError("posix_spawn \(executable)", errno: e)
        case .success(let pid):
            self.pid = pid
        }
        readyPipe = readEnd
        readyToken = try? loop.register(fd: readEnd, handler: self)
        let fd = stoep_pidfd_open(pid)
        if fd >= 0 {
            pidfd = FileDescriptor(rawValue: fd)
            pidToken = try? loop.register(fd: pidfd, handler: self)
        }
        if pidToken == nil {
            pidfd.close()
            pidfd = .invalid
            let t = Timer { [unowned self] _ in self.reapIfExited() }
            poller = t
            loop.schedule(t, after: ChildProcess.pollInterval)
        }
    }

    /// Sends `sig` to the worker (nothing once it has been reaped: its pid may be another process's).
    public func signal(_ sig: Int32) {
        guard onExit != nil else { return }
        _ = Glibc.kill(pid, sig)
    }

    public func ready(fd: FileDescriptor, _ events: Readiness) {
        if fd == readyPipe { readReadiness() } else if fd == pidfd { reapIfExited() }
    }

    private func readReadiness() {
        var byte: [UInt8] = [0]
        switch byte.withUnsafeMutableBytes({ readyPipe.read(into: $0) }) {
        case .bytes:
            isReady = true
            if let done = onReady {
                onReady = nil
                done()
            }
        case .wouldBlock:
            return
        case .eof, .error:
            break
        }
        closeReadyPipe()  // one byte is the whole conversation
    }

    private func closeReadyPipe() {
        if let t = readyToken { loop.deregister(t) }
        readyToken = nil
        readyPipe.close()
        readyPipe = .invalid
    }

    private func reapIfExited() {
        guard let done = onExit else { return }
        var status: Int32 = 0
        let (r, _) = retryingEINTR { waitpid(pid, &status, WNOHANG) }
        if r == 0 {
            if let t = poller { loop.schedule(t, after: ChildProcess.pollInterval) }
            return
        }
        onExit = nil
        onReady = nil
        if let t = poller { loop.cancel(t) }
        poller = nil
        if let t = pidToken { loop.deregister(t) }
        pidToken = nil
        pidfd.close()
        pidfd = .invalid
        closeReadyPipe()
        done(r < 0 ? .exited(-1) : ChildProcess.termination(status))
    }

    /// posix_spawn with descriptor 3 the readiness pipe, an empty signal mask (the supervisor blocks the
    /// signals its signalfd reads; the mask is inherited) and its own process group.
    private static func spawn(_ path: String, _ arguments: [String], _ environment: [String],
                              readyWriteEnd: FileDescriptor) -> Result<pid_t, Errno> {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, readyWriteEnd.rawValue, readyDescriptor)  // dup2 clears close-on-exec
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETPGROUP))
        let argv = ([path] + arguments).map { strdup($0) }
        let envp = environment.map { strdup($0) }
        defer { for p in argv + envp { free(p) } }
        var pid: pid_t = 0
        let r = (argv + [nil]).withUnsafeBufferPointer { args in
            (envp + [nil]).withUnsafeBufferPointer { env in
                posix_spawn(&pid, path, &actions, &attributes, UnsafeMutablePointer(mutating: args.baseAddress!),
                            UnsafeMutablePointer(mutating: env.baseAddress!))
            }
        }
        return r == 0 ? .success(pid) : .failure(Errno(rawValue: r))
    }

    // MARK: the worker's side

    /// This executable's path (/proc/self/exe), so a worker runs the very binary the supervisor runs even
    /// when it was started by a relative path or through PATH.
    public static func executablePath() throws(SystemError) -> String {
        var buf = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buf, buf.count - 1)
        guard n > 0 else { throw SystemError("readlink /proc/self/exe", errno: Errno(rawValue: errno)) }
        return String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Tells the supervisor this worker serves: one byte on descriptor 3, then closes it.
    public static func announceReady() {
        let fd = FileDescriptor(rawValue: readyDescriptor)
        _ = [UInt8(ascii: "R")].withUnsafeBytes { fd.write($0) }
        fd.close()
    }

    /// Runs this process on `cpu` only; the error when the kernel refuses (a CPU outside the cpuset).
    public static func pin(toCPU cpu: Int) -> Errno? {
        let r = stoep_pin_to_cpu(Int32(cpu))
        return r < 0 ? Errno(rawValue: -r) : nil
    }

    /// SIGTERM to this process when the supervisor dies; true when the supervisor is already gone (the
    /// request came too late: the caller exits).
    public static func dieWithParent(supervisor: pid_t) -> Bool {
        _ = stoep_signal_on_parent_death(SIGTERM)
        return getppid() != supervisor
    }

    /// Online CPUs, for `workers = "auto"` and pinning.
    public static var onlineCPUs: Int { max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))) }
}
