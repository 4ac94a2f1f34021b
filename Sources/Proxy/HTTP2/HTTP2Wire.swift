// The byte side of an HTTP/2 connection, either end (HTTP2Connection to a client, HTTP2UpstreamConnection
// to a backend): nghttp2 does no I/O, so this reads what the transport has into the loop's scratch area
// and feeds `nghttp2_session_mem_recv`, and writes what `nghttp2_session_mem_send` produces straight from
// nghttp2's buffer while the socket takes it — only an unsent tail is copied, and nghttp2 is asked for more
// only once the socket took everything, so a slow peer holds back its own frames and nothing else.
import CNGHTTP2
import Reactor

//
// The session is the owner's property, passed in: callbacks that run inside these calls read it through
// their connection, which must not overlap an access to the wire being mutated (Swift's exclusivity).
struct HTTP2Wire {
    let transport: Transport
    var readable = true, writable = true
    /// The peer sent its FIN, or nghttp2 gave up on what it sent: nothing more is read.
    var peerClosed = false
    /// The socket failed: the owner closes.
    private(set) var failed = false
    /// The unsent tail of what nghttp2 produced.
    private var out: [UInt8] = []
    private var outSent = 0

    init(transport: Transport) { self.transport = transport }

    var hasUnsent: Bool { outSent < out.count }

    /// Reads and feeds while the transport has bytes. True when anything happened. `protocolError` is
    /// called when nghttp2 refused the bytes (a bad preface, a flood, a callback failure): it queued a
    /// GOAWAY when the protocol allows one, and nothing more is read.
    mutating func readAndFeed(_ session: OpaquePointer?, protocolError: () -> Void) -> Bool {
        var progressed = false
        while readable && !failed && !peerClosed {
            switch transport.read(into: readScratch) {
            case .bytes(let n):
                progressed = true
                if transport.readDrained(got: n, asked: readScratch.count) { readable = false }
                if !feed(session, UnsafeRawBufferPointer(rebasing: readScratch[0..<n])) {
                    protocolError()
                    return true
                }
            case .wouldBlock:
                readable = false
            case .eof:
                peerClosed = true
                readable = false
                progressed = true
            case .error:
                failed = true
                return true
            }
        }
        return progressed
    }

    /// Hands bytes to nghttp2. False when nghttp2 gave up on the connection.
    mutating func feed(_ session: OpaquePointer?, _ bytes: UnsafeRawBufferPointer) -> Bool {
        guard let s = session else { return false }
        let rv = nghttp2_session_mem_recv(s, bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), bytes.count)
        if rv < 0 {
            peerClosed = true
            readable = false
            return false
        }
        return true
    }

    /// Writes the unsent tail, then what nghttp2 produces, while the socket takes it. True when bytes moved.
    mutating func flush(_ session: OpaquePointer?) -> Bool {
        guard let s = session else { return false }
        var progressed = false
        while writable && !failed {
            if outSent < out.count {
                switch out.withUnsafeBytes({ transport.write(UnsafeRawBufferPointer(rebasing: $0[outSent...])) }) {
                case .bytes(let n): outSent += n; progressed = true; continue
                case .wouldBlock: writable = false; return progressed
                case .eof, .error: failed = true; return progressed
                }
            }
            out.removeAll(keepingCapacity: out.capacity <= 64 * 1024)
            outSent = 0
            var data: UnsafePointer<UInt8>? = nil
            let n = nghttp2_session_mem_send(s, &data)
            if n < 0 { failed = true; return progressed }
            guard n > 0, let data else { break }
            progressed = true
            switch transport.write(UnsafeRawBufferPointer(start: data, count: n)) {
            case .bytes(let k) where k == n: continue
            case .bytes(let k): out.append(contentsOf: UnsafeBufferPointer(start: data + k, count: n - k))
            case .wouldBlock:
                writable = false
                out.append(contentsOf: UnsafeBufferPointer(start: data, count: n))
            case .eof, .error: failed = true; return progressed
            }
        }
        return progressed
    }

    /// Nothing more can happen on the connection: nghttp2 wants neither to read nor to write, or the peer
    /// is gone and nothing is left to send.
    func isSpent(_ session: OpaquePointer?) -> Bool {
        guard let s = session else { return true }
        if hasUnsent { return false }
        if nghttp2_session_want_read(s) == 0 && nghttp2_session_want_write(s) == 0 { return true }
        return peerClosed && nghttp2_session_want_write(s) == 0
    }

    func wantsWrite(_ session: OpaquePointer?) -> Bool {
        guard let s = session else { return false }
        return nghttp2_session_want_write(s) != 0
    }
}
