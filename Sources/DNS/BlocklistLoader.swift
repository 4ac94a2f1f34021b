// Loading `[dns] blocklists` and `allowlists` on the loop without stopping it: one slice of a file is read
// and parsed per loop turn, then the sort and the encoding run a bounded amount of work per turn
// (BlocklistBuilder), and only the finished Blocklist replaces the one serving — queries keep being
// answered with the old set until then. The files are watched (inotify, through the Reactor's
// FileWatcher): a change starts a new load; a change during a load restarts it.
import Reactor

final class BlocklistLoader {
    /// Loop time a load may take per turn: queries that arrive meanwhile wait at most about this long.
    static let turnNanos: UInt64 = 4_000_000
    /// Bytes read and parsed at a time (~2,000 lines, well under a millisecond): the deadline is checked
    /// between slices.
    static let sliceBytes = 64 << 10
    /// Sort moves / encoded keys at a time, between deadline checks.
    static let stepBudget = 20_000

    struct Source: Equatable {
        var path: String
        var allowlist: Bool
    }

    let sources: [Source]
    private let loop: EventLoop
    private let log: Logger
    private let installed: (Blocklist, String) -> Void
    private var builder: BlocklistBuilder?
    private var current = 0
    private var fd: FileDescriptor = .invalid
    private var startedAt: UInt64 = 0
    private var bytesRead = 0
    private var timer: Timer?
    private var watcher: FileWatcher?
    private var watches: [Int] = []
    /// Loads finished (the first at start-up, then one per change).
    private(set) var loads = 0

    /// `installed` receives each finished list and a one-line summary for the log.
    init(sources: [Source], loop: EventLoop, log: Logger, installed: @escaping (Blocklist, String) -> Void) {
        self.sources = sources
        self.loop = loop
        self.log = log
        self.installed = installed
    }

    /// Watches the files with `watcher` (nil: no inotify; SIGHUP reloads) and starts the first load.
    func start(watcher: FileWatcher?) {
        self.watcher = watcher
        if let watcher {
            watches = sources.map { s in watcher.watch(path: s.path) { [weak self] in self?.changed(s.path) } }
        }
        begin()
    }

    func stop() {
        if let t = timer { loop.cancel(t) }
        timer = nil
        for id in watches { watcher?.unwatch(id) }
        watches = []
        fd.close()
        fd = .invalid
        builder = nil
    }

    private func changed(_ path: String) {
        log.info("dns: \(path) changed, reading the block and allow lists again")
        begin()
    }

    /// Starts a load from the first file (abandoning one under way).
    private func begin() {
        fd.close()
        fd = .invalid
        builder = BlocklistBuilder()
        current = -1
        bytesRead = 0
        startedAt = monotonicNanos()
        nextFile()
        scheduleTurn()
    }

    private func scheduleTurn() {
        let t = timer ?? Timer { [weak self] _ in self?.turn() }
        timer = t
        loop.schedule(t, after: 1)  // due next turn, after that turn's I/O
    }

    /// Opens the next file; false when there is none left or one cannot be read (the load is abandoned and
    /// the list serving stays).
    @discardableResult
    private func nextFile() -> Bool {
        fd.close()
        fd = .invalid
        current += 1
        guard current < sources.count, let builder else { return false }
        let source = sources[current]
        do {
            fd = try FileDescriptor.openForReading(source.path)
        } catch {
            log.error("dns: cannot read \(source.path) (\(error)); keeping the lists in use")
            self.builder = nil
            return false
        }
        builder.beginFile(source.path, allowlist: source.allowlist)
        return true
    }

    private func turn() {
        guard let builder else { return }
        // Work in small pieces until this turn's share of time is used, then let the loop serve queries.
        let deadline = monotonicNanos() &+ Self.turnNanos
        while current < sources.count {
            let more = withUnsafeTemporaryAllocation(byteCount: Self.sliceBytes, alignment: 16) { chunk -> Bool in
                switch fd.read(into: chunk) {
                case .bytes(let n):
                    bytesRead += n
                    builder.feed(UnsafeRawBufferPointer(rebasing: chunk[0..<n]))
                    return true
                case .eof:
                    builder.endFile()
                    return nextFile() || (current >= sources.count && self.builder != nil)
                case .error(let e):
                    log.error("dns: reading \(sources[current].path): \(e); keeping the lists in use")
                    self.builder = nil
                    return false
                case .wouldBlock:
                    return true
                }
            }
            guard more else { return }
            if monotonicNanos() >= deadline { return scheduleTurn() }
        }
        var finished: Blocklist? = nil
        while finished == nil {
            finished = builder.step(budget: Self.stepBudget)
            if finished == nil && monotonicNanos() >= deadline { return scheduleTurn() }
        }
        guard let list = finished else { return }
        self.builder = nil
        loads += 1
        let ms = (monotonicNanos() - startedAt) / 1_000_000
        var summary = "dns: \(list.blockedCount) names blocked, \(list.allowedCount) allowed, from \(sources.count) files "
            + "(\(bytesRead >> 10) KiB, \(builder.lines) lines) in \(ms) ms; \(list.memoryBytes >> 10) KiB"
        if builder.skippedLines > 0 { summary += "; \(builder.skippedLines) lines skipped" }
        for p in builder.problems { log.warning("dns: \(p)") }
        installed(list, summary)
        // The build's buffers (and, now, the replaced set) are free: give the pages back, or the resident
        // size stays at the build's peak (about three times the set).
        FreeMemory.returnToKernel()
    }
}
