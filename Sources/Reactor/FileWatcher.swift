// Files and directories watched with inotify on the reactor: the inotify descriptor is one more
// non-blocking descriptor on the EventLoop, and each watcher's callback runs as ordinary loop code,
// once per burst of changes (a Timer debounces: an editor's save or a renewal job's write-then-rename is
// several events).
//
// A file is watched through its parent directory, filtered by name: tools replace files by writing a
// temporary one and renaming it over (certbot, Traefik's acme.json, editors' atomic save) or delete and
// create them, and a watch on the file itself would follow the old inode and miss the new one. Several
// watches on one directory share one inotify watch (the kernel merges them anyway and hands out one wd).
// A directory that disappears (or does not exist yet) is looked for again every second; when it comes
// back, its watchers are told.
import Glibc

public final class FileWatcher: IOHandler {
    /// Changes that matter for configuration and certificate files: written and closed, renamed in or
    /// out, created, deleted. IN_MODIFY is left out on purpose: a file being written fires it per write().
    static let mask = UInt32(IN_CLOSE_WRITE) | UInt32(IN_MOVED_TO) | UInt32(IN_CREATE) | UInt32(IN_DELETE) | UInt32(IN_MOVED_FROM)
    /// Retry interval for directories that could not be watched (missing, or removed since).
    static let retryNanos: UInt64 = 1_000_000_000
    /// A burst that never goes quiet is still reported every this many debounce periods.
    static let maxDelayFactor: UInt64 = 4

    private final class Subscription {
        let directory: String
        /// nil: any entry of the directory.
        let name: String?
        let onChange: () -> Void
        let timer: Timer
        var firstEventAt: UInt64 = 0
        init(directory: String, name: String?, onChange: @escaping () -> Void, timer: Timer) {
            self.directory = directory
            self.name = name
            self.onChange = onChange
            self.timer = timer
        }
    }

    private let loop: EventLoop
    private let log: Logger
    private let debounceNanos: UInt64
    private var fd: FileDescriptor
    private var token: Token?
    private var subscriptions: [Int: Subscription] = [:]
    private var nextID = 1
    /// A subscription to a directory named through a symbolic link → the subscription to the link itself.
    private var companions: [Int: Int] = [:]
    /// Directory path → inotify watch descriptor, and back.
    private var wdByDirectory: [String: Int32] = [:]
    /// Several paths may name one directory (symlinks, `a/../a`): the kernel gives them one wd.
    private var directoriesByWD: [Int32: Set<String>] = [:]
    /// Directories with subscribers but no inotify watch (missing); retried by `retryTimer`.
    private var missing: Set<String> = []
    private var retryTimer: Timer?
    private var readBuffer = [UInt8](repeating: 0, count: 16 * 1024)

    /// Directories that currently have an inotify watch (tests check the sharing).
    public var watchedDirectoryCount: Int { wdByDirectory.count }

    /// Opens the inotify descriptor and registers it with `loop`. Throws when the kernel refuses
    /// (inotify disabled, or `fs.inotify.max_user_instances` reached).
    public init(loop: EventLoop, log: Logger, debounceNanos: UInt64 = 100_000_000) throws {
        self.loop = loop
        self.log = log
        self.debounceNanos = debounceNanos
        fd = FileDescriptor(rawValue: try check("inotify_init1") { inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC)) })
        do {
            token = try loop.register(fd: fd, handler: self)
        } catch {
            fd.close()
            throw error
        }
    }

    /// Calls `onChange` (debounced, on the loop) when `path` changes. `path` may be a file (created,
    /// written, renamed over, deleted) or a directory (any entry changing). Returns an id for `unwatch`.
    /// Never fails: a path whose directory cannot be watched now is logged and looked for again later.
    @discardableResult
    public func watch(path: String, onChange: @escaping () -> Void) -> Int {
        let (directory, name) = FileWatcher.split(path)
        return subscribe(directory: directory, name: name, onChange: onChange)
    }

    private func subscribe(directory: String, name: String?, onChange: @escaping () -> Void) -> Int {
        let id = nextID
        nextID += 1
        let timer = Timer { [weak self] _ in self?.fire(id) }
        subscriptions[id] = Subscription(directory: directory, name: name, onChange: onChange, timer: timer)
        if wdByDirectory[directory] == nil && !missing.contains(directory) {
            if !addWatch(directory) {
                missing.insert(directory)
                scheduleRetry()
            }
        }
        if name == nil, FileWatcher.isSymbolicLink(directory) {
            // A directory reached through a symbolic link (a deployment that swaps `conf -> conf.v2` with one
            // rename): inotify watches the directory the link named when the watch was added, so a swap
            // changes nothing it sees. The link's own entry in its parent is watched too; when it changes,
            // the watch moves to the directory the link names now, and the subscriber hears of it.
            let slash = directory.lastIndex(of: "/")
            let parent = slash.map { $0 == directory.startIndex ? "/" : String(directory[..<$0]) } ?? "."
            let entry = slash.map { String(directory[directory.index(after: $0)...]) } ?? directory
            companions[id] = subscribe(directory: parent, name: entry) { [weak self] in
                guard let self else { return }
                self.rewatch(directory)
                self.subscriptions[id]?.onChange()
            }
        }
        return id
    }

    /// Points the watch of `directory` at the inode its path names now (after a symbolic link swap).
    private func rewatch(_ directory: String) {
        let wd = inotify_add_watch(fd.rawValue, directory, FileWatcher.mask | UInt32(IN_ONLYDIR))
        guard wd >= 0 else { return }  // gone: the next change or the IN_IGNORED path finds it again
        if let old = wdByDirectory[directory], old != wd {
            directoriesByWD[old]?.remove(directory)
            if directoriesByWD[old]?.isEmpty ?? true {
                directoriesByWD[old] = nil
                _ = inotify_rm_watch(fd.rawValue, old)
            }
        }
        missing.remove(directory)
        wdByDirectory[directory] = wd
        directoriesByWD[wd, default: []].insert(directory)
    }

    /// Stops calling the watcher `id`; the directory's inotify watch goes when its last watcher does.
    public func unwatch(_ id: Int) {
        if let companion = companions.removeValue(forKey: id) { unwatch(companion) }
        guard let s = subscriptions.removeValue(forKey: id) else { return }
        loop.cancel(s.timer)
        guard !subscriptions.values.contains(where: { $0.directory == s.directory }) else { return }
        missing.remove(s.directory)
        if let wd = wdByDirectory.removeValue(forKey: s.directory) {
            directoriesByWD[wd]?.remove(s.directory)
            if directoriesByWD[wd]?.isEmpty ?? true {
                directoriesByWD[wd] = nil
                _ = inotify_rm_watch(fd.rawValue, wd)
            }
        }
    }

    /// Stops everything and closes the descriptor. Safe to call twice.
    public func close() {
        for s in subscriptions.values { loop.cancel(s.timer) }
        subscriptions = [:]
        companions = [:]
        if let t = retryTimer { loop.cancel(t) }
        if let token { loop.deregister(token) }
        token = nil
        fd.close()
        fd = .invalid
        wdByDirectory = [:]
        directoriesByWD = [:]
        missing = []
    }

    deinit {
        if fd.isValid { close() }
    }

    // MARK: events

    public func ready(fd: FileDescriptor, _ events: Readiness) {
        while true {
            guard case .bytes(let n) = readBuffer.withUnsafeMutableBytes({ fd.read(into: $0) }), n > 0 else {
                return  // EAGAIN: drained (edge-triggered)
            }
            readBuffer.withUnsafeBytes { raw in
                FileWatcher.parseEvents(UnsafeRawBufferPointer(rebasing: raw[0..<n])) { wd, mask, name in
                    self.handle(wd: wd, mask: mask, name: name)
                }
            }
        }
    }

    /// Walks the `struct inotify_event` records in `bytes` (each: wd, mask, cookie, len, then `len` bytes
    /// of NUL-padded name). A truncated or inconsistent record ends the walk instead of reading past it.
    static func parseEvents(_ bytes: UnsafeRawBufferPointer, _ each: (Int32, UInt32, String) -> Void) {
        let header = 16  // MemoryLayout<inotify_event>.size: four 32-bit fields
        var offset = 0
        while offset + header <= bytes.count {
            let wd = bytes.loadUnaligned(fromByteOffset: offset, as: Int32.self)
            let mask = bytes.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self)
            let length = Int(bytes.loadUnaligned(fromByteOffset: offset + 12, as: UInt32.self))
            let end = offset + header + length
            guard length <= bytes.count, end <= bytes.count else { return }
            let nameBytes = UnsafeRawBufferPointer(rebasing: bytes[(offset + header)..<end])
            let name = String(decoding: nameBytes.prefix(while: { $0 != 0 }), as: UTF8.self)
            each(wd, mask, name)
            offset = end
        }
    }

    private func handle(wd: Int32, mask: UInt32, name: String) {
        if mask & UInt32(IN_Q_OVERFLOW) != 0 {
            // Events were lost: every watcher may have missed its change.
            for s in subscriptions.values { changed(s) }
            return
        }
        guard let directories = directoriesByWD[wd] else { return }
        if mask & UInt32(IN_IGNORED) != 0 {
            // The directory was removed (or unmounted): the kernel dropped the watch.
            directoriesByWD[wd] = nil
            for d in directories {
                wdByDirectory[d] = nil
                missing.insert(d)
            }
            scheduleRetry()
            for s in subscriptions.values where directories.contains(s.directory) { changed(s) }
            return
        }
        for s in subscriptions.values where directories.contains(s.directory) && (s.name == nil || s.name == name) {
            changed(s)
        }
    }

    /// Debounce: the first event of a burst starts the timer; later ones push it back, but never more than
    /// `maxDelayFactor` periods past the first, so a directory written without pause is still reported.
    private func changed(_ s: Subscription) {
        let now = loop.now
        if !s.timer.isScheduled { s.firstEventAt = now }
        let latest = s.firstEventAt &+ debounceNanos &* FileWatcher.maxDelayFactor
        loop.schedule(s.timer, at: min(now &+ debounceNanos, latest))
    }

    private func fire(_ id: Int) {
        subscriptions[id]?.onChange()
    }

    // MARK: watches

    private func addWatch(_ directory: String) -> Bool {
        let wd = inotify_add_watch(fd.rawValue, directory, FileWatcher.mask | UInt32(IN_ONLYDIR))
        guard wd >= 0 else {
            log.warning("cannot watch \(directory): \(Errno.current); looking again every second")
            return false
        }
        // inotify hands out one wd per inode: a second path naming the same directory shares it.
        wdByDirectory[directory] = wd
        directoriesByWD[wd, default: []].insert(directory)
        return true
    }

    private func scheduleRetry() {
        let t = retryTimer ?? Timer { [weak self] _ in self?.retryMissing() }
        retryTimer = t
        if !t.isScheduled { loop.schedule(t, after: FileWatcher.retryNanos) }
    }

    private func retryMissing() {
        for directory in missing {
            let wd = inotify_add_watch(fd.rawValue, directory, FileWatcher.mask | UInt32(IN_ONLYDIR))
            guard wd >= 0 else { continue }
            missing.remove(directory)
            wdByDirectory[directory] = wd
            directoriesByWD[wd, default: []].insert(directory)
            log.info("watching \(directory) again")
            // Whatever the watchers wait for may have been created with the directory.
            for s in subscriptions.values where s.directory == directory { changed(s) }
        }
        if !missing.isEmpty, let t = retryTimer { loop.schedule(t, after: FileWatcher.retryNanos) }
    }

    /// A watched path as (directory to watch, entry name to filter on; nil for a directory itself). A path
    /// ending in "/" is a directory even before it exists.
    static func split(_ path: String) -> (String, String?) {
        var p = path
        let slashed = p.count > 1 && p.hasSuffix("/")
        while p.count > 1 && p.hasSuffix("/") { p.removeLast() }
        if slashed || isDirectory(p) { return (p, nil) }
        guard let slash = p.lastIndex(of: "/") else { return (".", p) }
        let dir = p[..<slash]
        return (dir.isEmpty ? "/" : String(dir), String(p[p.index(after: slash)...]))
    }

    private static func isSymbolicLink(_ path: String) -> Bool {
        var st = stat()
        return lstat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFLNK
    }

    private static func isDirectory(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
    }
}
