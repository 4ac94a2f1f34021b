// Where log-queries lines go: stderr with the rest of the log, or the file `log-facility=/path` names
// (dnsmasq's convention: a value starting with "/" is a file, anything else a syslog facility, which
// stoep maps to stderr — the journal). The file is written through a Logger: a bounded buffer the
// appliance flushes once per loop turn (DNSService.flushQueryLog), never a blocking write on the loop.
import Reactor

final class DNSQueryLogSink {
    let logger: Logger
    private let fd: FileDescriptor

    /// nil `facility` or a syslog facility name: the process log. A path: that file, opened for append.
    init(facility: String?, fallback: Logger) {
        guard let path = facility, path.hasPrefix("/") else {
            logger = fallback
            fd = .invalid
            return
        }
        let opened: FileDescriptor
        do {
            opened = try FileDescriptor.openForAppending(path, permissions: 0o640)
        } catch {
            fallback.warning("log-facility=\(path): cannot open (\(error)); query log goes to stderr")
            logger = fallback
            fd = .invalid
            return
        }
        fd = opened
        let l = Logger()
        l.attach(fd: opened)
        l.buffered = true
        logger = l
    }

    /// Writes what is buffered (the appliance calls it once per loop turn).
    func flush() { if fd.isValid { logger.flush() } }

    func line(_ s: String) { logger.raw(s) }

    deinit {
        logger.flush()
        fd.close()
    }
}
