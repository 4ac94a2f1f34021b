// One neutral readiness vocabulary: each backend converts its kernel flags into this at its edge,
// so no EPOLLIN or POLLIN leaks into the workloads.

public struct Readiness: OptionSet, Sendable, CustomStringConvertible {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    /// Data (or EOF, or a pending connection) can be read.
    public static let readable = Readiness(rawValue: 1)
    /// Send buffer space is available (or a connect finished).
    public static let writable = Readiness(rawValue: 2)
    /// The peer shut down its writing side (EPOLLRDHUP): a read will return EOF once data is drained.
    public static let readHangup = Readiness(rawValue: 4)
    /// Error or full hang-up: the next syscall on the descriptor reports what happened.
    public static let error = Readiness(rawValue: 8)

    public var description: String {
        var parts: [String] = []
        if contains(.readable) { parts.append("r") }
        if contains(.writable) { parts.append("w") }
        if contains(.readHangup) { parts.append("rdhup") }
        if contains(.error) { parts.append("err") }
        return parts.joined(separator: "|")
    }

    /// Converts poll(2)/epoll(7) bits (identical values on Linux) into Readiness.
    @inline(__always)
    static func fromPollBits(_ bits: UInt32) -> Readiness {
        var r = Readiness()
        if bits & 0x001 != 0 { r.insert(.readable) }            // EPOLLIN
        if bits & 0x004 != 0 { r.insert(.writable) }            // EPOLLOUT
        if bits & 0x2000 != 0 { r.insert([.readHangup, .readable]) }  // EPOLLRDHUP
        if bits & (0x008 | 0x010) != 0 { r.insert([.error, .readable, .writable]) }  // EPOLLERR | EPOLLHUP
        return r
    }
}

/// The poll bits every socket watch asks for: edge-triggered readiness in both directions plus RDHUP.
/// Asking for EPOLLOUT all the time costs nothing with edge triggering: the kernel reports it only on a
/// transition, which for TCP means after a send had filled the buffer (SOCK_NOSPACE) and it drained.
let watchPollBits: UInt32 = 0x001 | 0x004 | 0x2000  // EPOLLIN | EPOLLOUT | EPOLLRDHUP
