// A transport is how a relay or a protocol handler reads and writes one connection. The plain one is the
// socket itself and can splice; TLS (TLSTransport) decrypts in user space and cannot (unless kTLS took both
// directions), so the relay falls back to its read/write path for it without knowing why.
import Glibc

public protocol Transport: AnyObject {
    var fd: Int32 { get }
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

public final class PlainTransport: Transport {
    public private(set) var fd: Int32
    public var canSplice: Bool { true }
    @inline(__always)
    public func readDrained(got: Int, asked: Int) -> Bool { got < asked }

    public init(fd: Int32) { self.fd = fd }

    @inline(__always)
    public func read(into buffer: UnsafeMutableRawBufferPointer) -> IOResult {
        let (n, e) = retryingEINTR { Glibc.recv(fd, buffer.baseAddress, buffer.count, 0) }
        return ioResult(n, errno: e, zeroIsEOF: true)
    }

    @inline(__always)
    public func write(_ bytes: UnsafeRawBufferPointer) -> IOResult {
        let (n, e) = retryingEINTR { Glibc.send(fd, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL)) }
        return ioResult(n, errno: e, zeroIsEOF: false)
    }

    public func shutdownWrite() {
        _ = Glibc.shutdown(fd, Int32(SHUT_WR))
    }

    public func close() {
        closeDescriptor(fd)
        fd = -1
    }
}
