// A transport is how a relay or a protocol handler reads and writes one connection. The plain one is the
// socket itself and can splice; TLS (TLSTransport) decrypts in user space and cannot (unless kTLS took both
// directions), so the relay falls back to its read/write path for it without knowing why.

public protocol Transport: AnyObject {
    var fd: FileDescriptor { get }
    /// True when the bytes on the wire are the payload, so splice(2) may move them.
    var canSplice: Bool { get }
    /// Whether the read that just returned `got` of `asked` bytes left the socket drained, so the caller
    /// may wait for the next readiness without a read that only says EAGAIN. A stream socket: a short
    /// read. TLS returns a record at a time, so it asks what OpenSSL's own last socket read saw.
    func readDrained(got: Int, asked: Int) -> Bool
    func read(into buffer: UnsafeMutableRawBufferPointer) -> IOResult
    func write(_ bytes: UnsafeRawBufferPointer) -> IOResult
    /// Sends our FIN (half-close): the peer reads EOF, we can still read.
    func shutdownWrite()
    func close()
}

extension Transport {
    /// The bytes waiting on the socket now, as they are on the wire (for TLS: records, not payload), left
    /// there for the next read: a ClientHello to route by, or a pooled connection's "anything unasked?".
    /// `.eof` when the peer finished and nothing is left; `.wouldBlock` when nothing waits.
    @inline(__always)
    public func peek(into buffer: UnsafeMutableRawBufferPointer) -> IOResult { fd.peek(into: buffer) }
}

public final class PlainTransport: Transport {
    public private(set) var fd: FileDescriptor
    public var canSplice: Bool { true }
    @inline(__always)
    public func readDrained(got: Int, asked: Int) -> Bool { got < asked }

    public init(fd: FileDescriptor) { self.fd = fd }

    @inline(__always)
    public func read(into buffer: UnsafeMutableRawBufferPointer) -> IOResult { fd.receive(into: buffer) }

    @inline(__always)
    public func write(_ bytes: UnsafeRawBufferPointer) -> IOResult { fd.send(bytes) }

    public func shutdownWrite() { fd.shutdownWrite() }

    public func close() {
        fd.close()
        fd = .invalid
    }
}
