// Syscalls in three steps (see STYLE.md): the raw Glibc call, `retryingEINTR` that turns -1/errno into a
// typed result, and the small throwing or IOResult-returning APIs the rest of the Reactor uses.
import Glibc

/// An errno value with the call that produced it, so a log line can say what failed.
public struct SystemError: Error, CustomStringConvertible, Sendable {
    public let call: String
    public let errno: Int32
    public init(_ call: String, errno: Int32) { self.call = call; self.errno = errno }
    public var description: String { "\(call): \(SystemError.text(errno))" }
    public static func text(_ code: Int32) -> String { String(cString: strerror(code)) }
    public var isWouldBlock: Bool { errno == EAGAIN || errno == EWOULDBLOCK }
}

/// The outcome of a non-blocking read, write or splice: bytes moved, "try again on readiness",
/// end of stream (reads only), or a real error.
public enum IOResult: Equatable {
    case bytes(Int)
    case wouldBlock
    case eof
    case error(Int32)
}

/// Runs `body` until it does not fail with EINTR; returns its value or the errno it failed with.
@inline(__always)
func retryingEINTR<T: BinaryInteger>(_ body: () -> T) -> (value: T, errno: Int32) {
    while true {
        let r = body()
        if r >= 0 { return (r, 0) }
        let e = Glibc.errno
        if e != EINTR { return (r, e) }
    }
}

/// Maps a raw read/write/splice return into an IOResult. `zeroIsEOF` is true for reads.
@inline(__always)
func ioResult(_ r: Int, errno e: Int32, zeroIsEOF: Bool) -> IOResult {
    if r > 0 { return .bytes(r) }
    if r == 0 { return zeroIsEOF ? .eof : .bytes(0) }
    if e == EAGAIN || e == EWOULDBLOCK { return .wouldBlock }
    return .error(e)
}

/// Throws a SystemError naming `call` when `r` is negative.
@discardableResult
func check<T: BinaryInteger>(_ call: String, _ body: () -> T) throws(SystemError) -> T {
    let (r, e) = retryingEINTR(body)
    if r < 0 { throw SystemError(call, errno: e) }
    return r
}

/// Closes a descriptor; EINTR on close must not be retried on Linux (the fd is already gone).
public func closeDescriptor(_ fd: Int32) {
    if fd >= 0 { _ = Glibc.close(fd) }
}

/// Monotonic clock in nanoseconds: deadlines and durations never jump with the wall clock.
@inline(__always)
public func monotonicNanos() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
}

/// Wall clock in seconds since the epoch (log time stamps only).
public func wallClockSeconds() -> Int {
    var ts = timespec()
    clock_gettime(CLOCK_REALTIME, &ts)
    return ts.tv_sec
}
