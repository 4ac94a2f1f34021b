// Buffers for request and response heads — their bytes, their parsed fields, the rewritten head for the
// server — lent to a session for one exchange and given back when it ends (issue 18: no heap allocation per
// keep-alive request). One pool per proxy, so an idle keep-alive connection holds none of them (10,000 idle
// clients must stay within their memory goal).
//
// Swift arrays are copy-on-write: a buffer given back while a finished exchange still refers to it is only
// shared, never overwritten. The next borrower's first write then copies (an allocation, not a corruption);
// in the steady state the exchange is gone by then and the buffer is reused as it is.
import HTTP

final class HeadBufferPool {
    private var bytes: [[UInt8]] = []
    private var fields: [[HTTPHeaderField]] = []
    /// At most this many buffers of each kind wait here (the concurrency the pool serves without allocating).
    static let kept = 256
    /// A buffer grown past this (a head with very large fields) is freed, not kept.
    static let largestKept = 16 * 1024

    /// An empty byte buffer, with the capacity a previous head left it.
    func takeBytes() -> [UInt8] {
        var b = bytes.popLast() ?? []
        b.removeAll(keepingCapacity: true)
        return b
    }

    /// An empty field buffer.
    func takeFields() -> [HTTPHeaderField] {
        var f = fields.popLast() ?? []
        f.removeAll(keepingCapacity: true)
        return f
    }

    func give(_ b: inout [UInt8]) {
        if b.capacity > 0 && b.capacity <= Self.largestKept && bytes.count < Self.kept { bytes.append(b) }
        b = []
    }

    func give(_ f: inout [HTTPHeaderField]) {
        if f.capacity > 0 && f.capacity <= Self.largestKept / 32 && fields.count < Self.kept { fields.append(f) }
        f = []
    }
}

/// A session's borrowed head buffers (see HeadBufferPool); empty between exchanges.
struct SessionHeadBuffers {
    var requestFields: [HTTPHeaderField] = []
    var responseFields: [HTTPHeaderField] = []
    var requestBytes: [UInt8] = []
    var responseBytes: [UInt8] = []

    /// Copies a head's bytes into `buffer` (borrowed from `pool` when it has none) and returns the buffer,
    /// shared with the session until the exchange ends.
    static func copy(_ head: ArraySlice<UInt8>, into buffer: inout [UInt8], from pool: HeadBufferPool) -> [UInt8] {
        if buffer.capacity == 0 { buffer = pool.takeBytes() } else { buffer.removeAll(keepingCapacity: true) }
        buffer.append(contentsOf: head)
        return buffer
    }

    mutating func giveBack(to pool: HeadBufferPool) {
        pool.give(&requestFields)
        pool.give(&responseFields)
        pool.give(&requestBytes)
        pool.give(&responseBytes)
    }
}
