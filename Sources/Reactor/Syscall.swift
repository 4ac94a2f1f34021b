// Syscalls in three steps (see STYLE.md): the raw Glibc call, `retryingEINTR` that turns -1/errno into a
// typed result, and the small throwing or IOResult-returning APIs the rest of the Reactor offers. Nothing
// above the Reactor calls the raw functions or reads errno (tests/integration/test_layers.py checks).
import Glibc

/// An errno value with the call that produced it, so a log line can say what failed.
public struct SystemError: Error, CustomStringConvertible, Sendable {
    public let call: String
    public let errno: Errno
    public init(_ call: String, errno: Errno) { self.call = call; self.errno = errno }
    public var description: String { "\(call): \(errno)" }
    public var isWouldBlock: Bool { errno == .wouldBlock }
}

/// The outcome of a non-blocking read, write or splice: bytes moved, "try again on readiness",
/// end of stream (reads only), or a real error.
public enum IOResult: Equatable {
    case bytes(Int)
    case wouldBlock
    case eof
    case error(Errno)
}

/// Runs `body` until it does not fail with EINTR; returns its value, or -1 and the errno it failed with.
@inline(__always)
func retryingEINTR<T: BinaryInteger>(_ body: () -> T) -> (value: T, errno: Errno) {
    while true {
        let r = body()
        if r >= 0 { return (r, Errno(rawValue: 0)) }
        let e = Errno.current
        if e != .interrupted { return (r, e) }
    }
}

/// Maps a raw read/write/splice return into an IOResult. `zeroIsEOF` is true for stream reads.
@inline(__always)
func ioResult(_ r: Int, errno e: Errno, zeroIsEOF: Bool) -> IOResult {
    if r > 0 { return .bytes(r) }
    if r == 0 { return zeroIsEOF ? .eof : .bytes(0) }
    if e == .wouldBlock { return .wouldBlock }
    return .error(e)
}

/// Throws a SystemError naming `call` when `r` is negative.
@discardableResult
func check<T: BinaryInteger>(_ call: @autoclosure () -> String, _ body: () -> T) throws(SystemError) -> T {
    let (r, e) = retryingEINTR(body)
    if r < 0 { throw SystemError(call(), errno: e) }
    return r
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

/// Blocks the thread for `nanoseconds`, resuming after signal interruptions with the time that was left.
/// For command-line tools only (`stoep stats --watch`): never on the loop.
public func sleepBlocking(nanoseconds: UInt64) {
    var request = timespec(tv_sec: Int(nanoseconds / 1_000_000_000), tv_nsec: Int(nanoseconds % 1_000_000_000))
    var remaining = timespec()
    while nanosleep(&request, &remaining) != 0 && Errno.current == .interrupted {
        request = remaining
    }
}
