// `workers = N` (N > 1): the small parent. It serves no client itself; it starts N workers (this binary
// again with a hidden `--worker I`, WorkerProcess), restarts one that dies (back-off 100 ms doubling to
// 10 s, reset once a worker has lived 10 s), passes SIGHUP and SIGUSR1 on, turns SIGTERM/SIGINT into a
// SIGTERM to every worker and ends when the last has drained, and owns what must exist once: the stats
// socket (WorkerStatsAggregate asks every worker's private socket and answers with totals plus a row per
// worker) and the systemd conversation (READY once every worker has said it serves; workers get no
// NOTIFY_SOCKET). Every worker binds every listener with SO_REUSEPORT and watches its own files and
// Docker; why, and what the parent keeps, in docs/architecture.md ("Workers").
import Glibc
import Reactor
import Stats

final class WorkerSupervisor {
    /// One worker's place: it keeps its index (and its CPU, its stats socket) across restarts.
    final class Slot {
        let index: Int
        var process: WorkerProcess?
        var startedAt: UInt64 = 0
        var restarts = 0
        var lastExit: String?
        var lastExitWall: Int64 = 0
        var backoff: UInt64 = WorkerSupervisor.firstBackoff
        var restartTimer: Timer?
        init(index: Int) { self.index = index }
        var state: String { process == nil ? (restartTimer == nil ? "dead" : "restarting") : process!.isReady ? "serving" : "starting" }
    }

    static let firstBackoff: UInt64 = 100_000_000
    static let maximumBackoff: UInt64 = 10_000_000_000
    /// A worker that lived this long died of something new: its next restart starts from the first back-off.
    static let stableAfter: UInt64 = 10_000_000_000

    let loop: EventLoop
    let log: Logger
    let statsPath: String
    let source: ConfigSource
    let startedAt = monotonicNanos()
    let systemd = SystemdNotifier(environment: ProcessFacts.environment())
    private let executable: String
    private let arguments: [String]
    private let environment: [String]
    private let statsOwner: (uid: uid_t, gid: gid_t)?
    private(set) var slots: [Slot]
    private var stats: StatsServer?
    /// The stats server's provider (it holds it unowned).
    private var aggregate: WorkerStatsAggregate?
    private var signals: SignalSource?
    private(set) var stopping = false
    /// Every worker has been ready once: a later death is restarted, an earlier one fails the start.
    private(set) var started = false
    private var exitStatus: Int32 = 0

    /// `arguments`: the `stoep run` arguments the supervisor was given; each worker gets them plus its own.
    init(workers: Int, arguments: [String], metrics: Bool, source: ConfigSource, statsPath: String,
         statsOwner: (uid: uid_t, gid: gid_t)?, backend: BackendKind?, log: Logger) throws {
        let exe = try WorkerProcess.executablePath()
        for i in 0..<workers {
            guard SocketAddress(unixPath: Self.socketPath(statsPath, i)) != nil else {
                throw SystemError("worker stats socket \(Self.socketPath(statsPath, i)) is longer than 107 bytes; pass a shorter --stats-socket",
                                  errno: Errno(rawValue: ENAMETOOLONG))
            }
        }
        executable = exe
        self.arguments = arguments
        self.source = source
        self.statsPath = statsPath
        self.statsOwner = statsOwner
        self.log = log
        // The workers talk to systemd through us only (READY when all are ready; one watchdog).
        let hidden: Set<String> = ["NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"]
        environment = ProcessFacts.environment().filter { !hidden.contains($0.key) }.map { "\($0.key)=\($0.value)" }
        loop = try EventLoop(backend: backend, log: log)
        slots = (0..<workers).map { Slot(index: $0) }
        metricsTotals = metrics ? Self.metricsTotalsPath(statsPath) : nil
    }

    /// Where the workers' summed Prometheus text is written (metrics.prometheus), beside the stats socket.
    let metricsTotals: String?
    static func metricsTotalsPath(_ statsPath: String) -> String { "\(statsPath).metrics" }
    private var metricsTimer: Timer?

    /// Where worker 0 publishes the ACME challenge answers the other workers serve (SharedChallenges).
    static func acmeChallengesPath(_ statsPath: String) -> String { "\(statsPath).acme-challenges" }

    /// Worker I's private stats socket, beside the public one.
    static func socketPath(_ statsPath: String, _ index: Int) -> String { "\(statsPath).worker\(index)" }

    /// Runs until every worker has ended; the exit status of `stoep run`.
    func run() -> Int32 {
        do {
            let aggregate = WorkerStatsAggregate(supervisor: self)
            self.aggregate = aggregate
            let server = StatsServer(path: statsPath, owner: statsOwner, loop: loop, provider: aggregate)
            try server.start()
            stats = server
            signals = try SignalSource(loop: loop, signals: [SIGTERM, SIGINT, SIGHUP, SIGUSR1]) { [unowned self] in self.signal($0) }
            for slot in slots { try spawn(slot) }
        } catch {
            log.error("cannot start: \(error)")
            log.flush()
            for slot in slots { slot.process?.signal(SIGKILL) }
            return 1
        }
        loop.addTurnHook { [unowned self] in self.log.flush() }
        _ = ProcessFacts.releaseStartupTextPages()  // the configuration's parsing is done here too
        systemd.startWatchdog(on: loop)
        if metricsTotals != nil {
            let t = Timer { [unowned self] _ in self.writeMetricsTotals() }
            metricsTimer = t
            loop.schedule(t, after: Self.metricsInterval)
        }
        log.info("stoep \(Version.text) supervising \(slots.count) workers (\(source.description)); stats socket \(statsPath)")
        do { try loop.run() } catch { log.error("supervisor loop failed: \(error)"); exitStatus = 1 }
        stats?.stop()
        if let path = metricsTotals { unlink(path) }
        log.flush()
        return exitStatus
    }

    private func spawn(_ slot: Slot) throws(SystemError) {
        let own = ["--worker", String(slot.index), "--supervisor", String(getpid()), "--stats-socket", Self.socketPath(statsPath, slot.index)]
            + (metricsTotals.map { ["--metrics-totals", $0] } ?? []) + ["--acme-challenges", Self.acmeChallengesPath(statsPath)]
        slot.restartTimer = nil
        slot.startedAt = loop.now
        slot.process = try WorkerProcess(executable: executable, arguments: ["run"] + arguments + own, environment: environment, loop: loop,
                                         onReady: { [unowned self] in self.ready(slot) },
                                         onExit: { [unowned self] in self.exited(slot, $0) })
    }

    private func ready(_ slot: Slot) {
        log.info("worker \(slot.index) (pid \(slot.process?.pid ?? 0)) serving")
        guard !started, slots.allSatisfy({ $0.process?.isReady == true }) else { return }
        started = true
        systemd.ready(status: "serving with \(slots.count) workers (\(source.description))")
    }

    private func exited(_ slot: Slot, _ how: WorkerProcess.Termination) {
        let pid = slot.process?.pid ?? 0
        slot.process = nil
        slot.lastExit = how.description
        slot.lastExitWall = Int64(wallClockSeconds())
        if stopping {
            log.info("worker \(slot.index) (pid \(pid)) stopped: \(how)")
            if slots.allSatisfy({ $0.process == nil }) { loop.stop() }
            return
        }
        guard started else {
            // A worker that cannot start (a port in use, a missing certificate) will not start on a retry
            // either: the start fails as a single process's would.
            log.error("worker \(slot.index) (pid \(pid)) failed to start: \(how); stopping")
            exitStatus = 1
            stopAll()
            return
        }
        if loop.now &- slot.startedAt >= Self.stableAfter { slot.backoff = Self.firstBackoff }
        let delay = slot.backoff
        slot.backoff = min(slot.backoff * 2, Self.maximumBackoff)
        log.error("worker \(slot.index) (pid \(pid)) died: \(how); restarting in \(delay / 1_000_000) ms")
        let t = Timer { [unowned self] _ in self.restart(slot) }
        slot.restartTimer = t
        loop.schedule(t, after: delay)
    }

    private func restart(_ slot: Slot) {
        guard !stopping else { return }
        do {
            try spawn(slot)
            slot.restarts += 1
        } catch {
            log.error("worker \(slot.index): cannot restart: \(error); trying again in \(slot.backoff / 1_000_000) ms")
            let t = Timer { [unowned self] _ in self.restart(slot) }
            slot.restartTimer = t
            loop.schedule(t, after: slot.backoff)
            slot.backoff = min(slot.backoff * 2, Self.maximumBackoff)
        }
    }

    private func signal(_ sig: Int32) {
        switch sig {
        case SIGHUP:
            // Each worker reads the files again and keeps its running configuration when they are invalid.
            systemd.reloading()
            log.info("SIGHUP: passed on to \(slots.count) workers")
            for slot in slots { slot.process?.signal(SIGHUP) }
            systemd.ready(status: "serving with \(slots.count) workers (\(source.description))")
        case SIGUSR1:
            for slot in slots { slot.process?.signal(SIGUSR1) }
        default:
            log.info("\(sig == SIGINT ? "SIGINT" : "SIGTERM"): stopping \(slots.count) workers")
            stopAll()
        }
    }

    /// SIGTERM to every worker (a second call: again, and each closes at once); no more restarts.
    private func stopAll() {
        if !stopping { systemd.stopping() }
        stopping = true
        for slot in slots {
            if let t = slot.restartTimer { loop.cancel(t) }
            slot.restartTimer = nil
            slot.process?.signal(SIGTERM)
        }
        if slots.allSatisfy({ $0.process == nil }) { loop.stop() }
    }

    /// How often the summed metrics are written: a scrape sees figures at most this old (Prometheus
    /// scrapes every 15 s by default), and the idle cost is one round trip per worker per interval.
    static let metricsInterval: UInt64 = 2_000_000_000

    /// Asks every worker for its Prometheus text, writes the sum (by rename: a scrape reads a whole file).
    private func writeMetricsTotals() {
        if let path = metricsTotals, let text = aggregate?.summedMetrics() {
            do {
                try writeFileAtomically(path: path, bytes: text, mode: 0o640, durable: false, owner: statsOwner)
            } catch {
                log.warning("metrics: cannot write \(path): \(error)")
            }
        }
        if let t = metricsTimer, !stopping { loop.schedule(t, after: Self.metricsInterval) }
    }

    var uptimeSeconds: Double { Double(monotonicNanos() &- startedAt) / 1e9 }
}
