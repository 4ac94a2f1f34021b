// Log lines go into a bounded buffer that the loop flushes once per turn with non-blocking writes:
// a slow journal or a full pipe costs dropped lines (counted), never a stalled data path.
import Glibc

public final class Logger {
    public enum Level: Int, Comparable, Sendable {
        case debug = 0, info, warning, error
        public static func < (a: Level, b: Level) -> Bool { a.rawValue < b.rawValue }
        var name: String { ["debug", "info", "warning", "error"][rawValue] }
    }

    public var level: Level = .info
    /// Written before each levelled line ("worker 1: "), so a worker's lines tell whose they are.
    public var prefix = ""
    /// Lines dropped because the buffer was full (exported as a stats counter).
    public private(set) var dropped: UInt64 = 0
    private var buffer: [UInt8] = []
    private let limit = 256 * 1024
    private var fd = FileDescriptor.standardError
    /// When false (before the loop runs, and in `stoep check`), lines are written at once.
    public var buffered = false

    public init() {
        buffer.reserveCapacity(4096)
    }

    /// Directs output to `fd`; a non-terminal descriptor is made non-blocking so a flush never waits.
    public func attach(fd: FileDescriptor) {
        self.fd = fd
        if !fd.isTerminal { fd.setNonBlocking() }
    }

    public func debug(_ s: @autoclosure () -> String) { if level <= .debug { line(.debug, s()) } }
    public func info(_ s: @autoclosure () -> String) { if level <= .info { line(.info, s()) } }
    public func warning(_ s: @autoclosure () -> String) { if level <= .warning { line(.warning, s()) } }
    public func error(_ s: @autoclosure () -> String) { line(.error, s()) }

    /// A line without level prefix (dnsmasq-style query logs keep their own format).
    public func raw(_ s: String) {
        append(s)
    }

    private func line(_ level: Level, _ s: String) {
        append("\(level.name): \(prefix)\(s)")
    }

    private func append(_ s: String) {
        let stamp = Logger.timestamp()
        if buffer.count + s.utf8.count + stamp.utf8.count + 2 > limit {
            dropped += 1
            return
        }
        buffer.append(contentsOf: stamp.utf8)
        buffer.append(0x20)
        buffer.append(contentsOf: s.utf8)
        buffer.append(0x0A)
        if !buffered { flush() }
    }

    /// Writes what the descriptor takes now; the rest waits for the next turn.
    public func flush() {
        var written = 0
        while written < buffer.count {
            // EAGAIN (a full pipe) or an error: the rest waits for the next turn, within the buffer's bound.
            guard case .bytes(let n) = buffer.withUnsafeBytes({ fd.write(UnsafeRawBufferPointer(rebasing: $0[written...])) }),
                  n > 0 else { break }
            written += n
        }
        if written > 0 { buffer.removeFirst(written) }
    }

    /// UTC time as 2026-11-26T23:59:00Z (no locale, no allocation-heavy formatting).
    static func timestamp() -> String {
        var t = time_t(wallClockSeconds())
        var tm = Glibc.tm()
        gmtime_r(&t, &tm)
        func two(_ v: Int32) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return "\(tm.tm_year + 1900)-\(two(tm.tm_mon + 1))-\(two(tm.tm_mday))T\(two(tm.tm_hour)):\(two(tm.tm_min)):\(two(tm.tm_sec))Z"
    }
}
