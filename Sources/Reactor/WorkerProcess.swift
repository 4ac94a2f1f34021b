// One worker of `workers = N`, seen from the supervisor: this same executable started again (posix_spawn
// of /proc/self/exe: a fresh image, no copy of the supervisor's heap, no fork of a process that holds an
// io_uring) with the supervisor's arguments and a hidden `--worker I`. Two things come back on the loop:
// - readiness: the worker writes one byte to descriptor 3 (the write end of a pipe the supervisor made)
//   once it has bound every listener and dropped privileges (`announceReady`); an end of file without
//   that byte means it died during start-up;
// - its exit, through a ProcessExitWatch (which also spawns it): a pidfd (Linux >= 5.3) becomes
//   readable, then waitpid(WNOHANG) reaps it; without pidfd a timer asks every 50 ms.
// The worker leads its own process group: a terminal's Ctrl-C reaches the supervisor only, which passes
// SIGTERM on once, so a worker's graceful drain is not cut short by a second signal. Its stdout and
// stderr are the supervisor's (one log). The worker side (`announceReady`, `pin`, `dieWithParent`) is here
// too, so the handshake lives in one file.
import CStoep
import Glibc

public final class WorkerProcess: IOHandler {
    public typealias Termination = ProcessExitWatch.Termination

    public var pid: pid_t { watch.pid }
    private let loop: EventLoop
    private var readyPipe = FileDescriptor.invalid
    private var readyToken: Token?
    private var watch: ProcessExitWatch!
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
        // dup2 clears close-on-exec: the worker gets the write end as descriptor 3.
        let spawned = ProcessExitWatch.spawn(executable, arguments, environment: environment) { actions in
            posix_spawn_file_actions_adddup2(&actions, writeEnd.rawValue, Self.readyDescriptor)
        }
        writeEnd.close()  // the worker holds its copy; ours would hide its death before readiness
        let pid: pid_t
        switch spawned {
        case .failure(let e):
            readEnd.close()
            throw SystemError("posix_spawn \(executable)", errno: e)
        case .success(let spawnedPid):
            pid = spawnedPid
        }
        readyPipe = readEnd
        readyToken = try? loop.register(fd: readEnd, handler: self)
        // Strong: a worker whose supervisor let go of it is still reaped (the watch holds it until then).
        watch = ProcessExitWatch(pid: pid, name: executable, loop: loop) { self.exited($0) }
    }

    /// Sends `sig` to the worker (nothing once it has been reaped: its pid may be another process's).
    public func signal(_ sig: Int32) {
        watch.signal(sig)
    }

    public func ready(fd: FileDescriptor, _ events: Readiness) {
        readReadiness()
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

    /// The watch reaped the worker: no readiness can come any more.
    private func exited(_ termination: Termination) {
        guard let done = onExit else { return }
        onExit = nil
        onReady = nil
        closeReadyPipe()
        done(termination)
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
