// Descriptors as a type (swift-system's `FileDescriptor` shape, written here): what the Reactor hands out
// and takes back. The file operations below are the only file I/O stoep does outside the loop's sockets:
// log and access-log files (non-blocking appends), configuration and certificate files (whole, at
// start-up or reload), the CLI's standard output.
import CStoep
import Glibc

public struct FileDescriptor: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: Int32
    @inline(__always) public init(rawValue: Int32) { self.rawValue = rawValue }

    public static let standardInput = FileDescriptor(rawValue: 0)
    public static let standardOutput = FileDescriptor(rawValue: 1)
    public static let standardError = FileDescriptor(rawValue: 2)
    /// No descriptor (a transport after `close()`).
    public static let invalid = FileDescriptor(rawValue: -1)

    @inline(__always) public var isValid: Bool { rawValue >= 0 }
    public var description: String { "fd \(rawValue)" }

    /// Closes the descriptor. EINTR is not retried: on Linux the descriptor is gone either way, and a
    /// retry could close a descriptor another part of the loop just got. Closing `.invalid` does nothing.
    public func close() {
        if rawValue >= 0 { _ = Glibc.close(rawValue) }
    }

    /// read(2): bytes, `.eof` at the end of a file or stream, `.wouldBlock` on an empty non-blocking one.
    @inline(__always)
    public func read(into buffer: UnsafeMutableRawBufferPointer) -> IOResult {
        let (n, e) = retryingEINTR { Glibc.read(rawValue, buffer.baseAddress, buffer.count) }
        return ioResult(n, errno: e, zeroIsEOF: true)
    }

    /// write(2): how many bytes the descriptor took now.
    @inline(__always)
    public func write(_ bytes: UnsafeRawBufferPointer) -> IOResult {
        let (n, e) = retryingEINTR { Glibc.write(rawValue, bytes.baseAddress, bytes.count) }
        return ioResult(n, errno: e, zeroIsEOF: false)
    }

    /// Writes all of `bytes`, retrying short writes (a blocking descriptor: the CLI's output). Returns the
    /// error that stopped it, nil when everything went out. A non-blocking descriptor stops at EAGAIN.
    @discardableResult
    public func writeAll(_ bytes: [UInt8]) -> Errno? {
        var offset = 0
        return bytes.withUnsafeBytes { raw -> Errno? in
            while offset < raw.count {
                switch write(UnsafeRawBufferPointer(rebasing: raw[offset...])) {
                case .bytes(let n): offset += n
                case .error(let e): return e
                case .wouldBlock: return .wouldBlock
                case .eof: return .brokenPipe
                }
            }
            return nil
        }
    }

    /// Makes the descriptor non-blocking (a log pipe: a flush must never wait). fcntl is variadic, which
    /// Swift cannot call: the shim does it.
    public func setNonBlocking() {
        _ = stoep_set_nonblocking(rawValue)
    }

    /// True when the descriptor is a terminal (left blocking: a terminal is never full for long).
    public var isTerminal: Bool { isatty(rawValue) == 1 }

    /// Opens `path` for reading (blocking, close-on-exec).
    public static func openForReading(_ path: String) throws(Errno) -> FileDescriptor {
        let (fd, e) = retryingEINTR { Glibc.open(path, O_RDONLY | O_CLOEXEC) }
        if fd < 0 { throw e }
        return FileDescriptor(rawValue: fd)
    }

    /// Opens (creating it with `permissions`) `path` for non-blocking appends: a log file written from
    /// the loop, where a full disk or a slow file system costs dropped lines, never a stalled loop.
    public static func openForAppending(_ path: String, permissions: mode_t = 0o640) throws(Errno) -> FileDescriptor {
        let flags = O_WRONLY | O_APPEND | O_CREAT | O_NONBLOCK | O_CLOEXEC
        let (fd, e) = retryingEINTR { Glibc.open(path, flags, permissions) }
        if fd < 0 { throw e }
        return FileDescriptor(rawValue: fd)
    }
}

/// Why a whole file could not be read.
public enum FileReadError: Error, Equatable, CustomStringConvertible {
    /// open or read failed.
    case system(Errno)
    /// The file holds more than the caller's limit: not the kind of file it expected.
    case tooLarge(limit: Int)

    public var description: String {
        switch self {
        case .system(let e): return e.description
        case .tooLarge(let limit): return "larger than \(limit >> 20) MiB"
        }
    }
}

/// Reads a whole (small) file with blocking reads: configuration, certificates, /proc entries. For
/// start-up and reloads, never for anything a client can make us read. More than `limit` bytes is an error
/// (the wrong file, or a device that never ends).
public func readWholeFile(_ path: String, limit: Int = 64 << 20) -> Result<[UInt8], FileReadError> {
    let fd: FileDescriptor
    do { fd = try FileDescriptor.openForReading(path) } catch { return .failure(.system(error)) }
    defer { fd.close() }
    var out: [UInt8] = []
    // The read buffer is temporary (on the stack when it fits): a heap chunk would stay resident in the
    // allocator's free lists after start-up, and these reads happen once.
    return withUnsafeTemporaryAllocation(byteCount: 16 << 10, alignment: 16) { chunk in
        while true {
            switch fd.read(into: chunk) {
            case .bytes(let n):
                out.append(contentsOf: UnsafeRawBufferPointer(rebasing: chunk[0..<n]))
                if out.count > limit { return .failure(.tooLarge(limit: limit)) }
            case .eof: return .success(out)
            case .error(let e): return .failure(.system(e))
            case .wouldBlock: return .failure(.system(.wouldBlock))
            }
        }
    }
}
