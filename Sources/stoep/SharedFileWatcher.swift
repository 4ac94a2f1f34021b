// The one inotify watcher of the appliance, shared by the file provider and the certificate files, made
// on first use.
import Reactor

final class SharedFileWatcher {
    private let loop: EventLoop
    private let log: Logger
    /// nil until some part asked for it (or when inotify is not available).
    private(set) var watcher: FileWatcher?

    init(loop: EventLoop, log: Logger) {
        self.loop = loop
        self.log = log
    }

    /// The watcher, made now if needed; nil, with a warning naming `what` (which SIGHUP then reloads),
    /// when inotify is not available.
    func watcher(for what: String) -> FileWatcher? {
        if watcher == nil {
            do {
                watcher = try FileWatcher(loop: loop, log: log)
            } catch {
                log.warning("\(what): cannot watch for changes (\(error)); SIGHUP reads it again")
            }
        }
        return watcher
    }
}
