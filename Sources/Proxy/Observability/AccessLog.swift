// Traefik's access log (accessLog.filePath / format) written without ever blocking the loop: each finished
// request becomes one line in a bounded buffer; `flush()` — called by the appliance once per loop turn —
// writes what the descriptor takes now (non-blocking), the rest waits for the next turn. When the buffer is
// full, new lines are dropped and counted in `dropped`, like Reactor's Logger.
//
// `filters` decide whether a request is written, `fields` which fields and headers a line holds (Traefik's
// logger.go: keepAccessLog, Keep, KeepHeader). `bufferingSize` has nothing to do: the line buffer replaces
// Traefik's channel, and lines never wait for the disk in the request's path either way.
import Config
import Glibc
import Reactor

public final class AccessLog: RequestObserver {
    /// Lines dropped because the buffer was full.
    public private(set) var dropped: UInt64 = 0
    /// Why the last open failed (nil after a successful one); lines are kept, within the buffer limit,
    /// until a `reopen()` succeeds.
    public private(set) var openError: Errno?
    /// `accessLog.fields` (Traefik's defaults: every field, no header).
    public var fields = TraefikAccessLogFields()
    /// `accessLog.filters`; nil = every request.
    public var filters: TraefikAccessLogFilters?
    /// `accessLog.addInternals`: requests to Traefik's own services are written too.
    public var addInternals = false
    /// Bytes waiting for the descriptor.
    public var pendingBytes: Int { buffer.count }

    public let path: String?
    public let format: TraefikAccessLog.Format
    private let bufferLimit: Int
    private var buffer: [UInt8] = []
    private var fd = FileDescriptor.invalid
    /// Traefik's RequestCount: requests logged since start, 1-based.
    private var requestCount: UInt64 = 0

    /// `path` nil writes to standard output (made non-blocking unless it is a terminal). Opening a file
    /// creates its missing parent directories (0755, as Traefik) and the file with mode 0640.
    public init(path: String?, format: TraefikAccessLog.Format, bufferLimit: Int = 1 << 20) {
        self.path = path
        self.format = format
        self.bufferLimit = bufferLimit
        buffer.reserveCapacity(min(bufferLimit, 16 * 1024))
        if path == nil {
            fd = .standardOutput
            if !fd.isTerminal { fd.setNonBlocking() }
        } else {
            open()
        }
    }

    deinit {
        if path != nil { fd.close() }
    }

    public func requestCompleted(_ r: CompletedRequest) {
        let end = WallTime.now()
        append(r, end: end)
    }

    /// Formats and buffers one line; `end` is the wall-clock time the request finished.
    func append(_ r: CompletedRequest, end: WallTime) {
        if r.internalService && !addInternals { return }
        // Traefik counts every request it sees, the filtered ones too.
        requestCount &+= 1
        if let filters, !filters.keeps(status: r.status, retryAttempts: r.retryAttempts, duration: r.duration) { return }
        let start = end.minus(nanoseconds: r.duration)
        let values = AccessLogLine.fields(r, start: start, count: requestCount, config: fields)
        let line: String
        switch format {
        case .common, .genericCLF:
            line = AccessLogLine.common(values, start: start, duration: r.duration, generic: format == .genericCLF)
        case .json:
            line = AccessLogLine.json(values, end: end)
        }
        guard buffer.count + line.utf8.count <= bufferLimit else {
            dropped &+= 1
            return
        }
        buffer.append(contentsOf: line.utf8)
    }

    /// Writes what the descriptor accepts now without waiting; the rest stays for the next turn. Call once
    /// per loop turn (and once more at shutdown).
    public func flush() {
        guard fd.isValid, !buffer.isEmpty else { return }
        var written = 0
        while written < buffer.count {
            // EAGAIN: the pipe is full; other errors: retried next turn, bounded by the buffer.
            guard case .bytes(let n) = buffer.withUnsafeBytes({ fd.write(UnsafeRawBufferPointer(rebasing: $0[written...])) }),
                  n > 0 else { break }
            written += n
        }
        if written == buffer.count {
            buffer.removeAll(keepingCapacity: true)
        } else if written > 0 {
            buffer.removeFirst(written)
        }
    }

    /// For SIGUSR1 after logrotate moved the file: closes the descriptor and opens `path` again (a new file).
    /// Buffered lines go to the new file. No-op for standard output.
    public func reopen() {
        guard path != nil else { return }
        fd.close()
        fd = .invalid
        open()
    }

    private func open() {
        guard let path else { return }
        AccessLog.createParentDirectories(of: path)
        do {
            fd = try FileDescriptor.openForAppending(path, permissions: 0o640)
            openError = nil
        } catch {
            openError = error
        }
    }

    /// `mkdir -p` of the directory holding `path`; failures surface when the file itself is opened.
    static func createParentDirectories(of path: String) {
        var i = path.startIndex
        while let slash = path[i...].firstIndex(of: "/") {
            if slash != path.startIndex { _ = mkdir(String(path[..<slash]), 0o755) }
            i = path.index(after: slash)
        }
    }
}
