// A TLS connection as a Transport: OpenSSL's non-blocking SSL_read/SSL_write over the socket, with
// WANT_READ/WANT_WRITE mapped to `.wouldBlock` so the reactor's edge-triggered readiness drives it
// like a plain socket. Bytes on the wire are records, not payload, so it cannot splice — unless the
// kernel took both directions over (kTLS), when the socket carries plaintext again.
//
// Contract for users: complete the handshake (`handshake()` until `.done`) before the first read or
// write; keep reading until `.wouldBlock` (OpenSSL may hold decrypted bytes the socket no longer
// signals); after a `.wouldBlock` on write, retry with the same bytes at the front of the buffer.
import CStoepTLS
import Glibc

public final class TLSTransport: Transport {
    public private(set) var fd: FileDescriptor
    private var ssl: OpaquePointer?
    public private(set) var handshakeDone = false
    /// kTLS in both directions: plaintext on the socket, so splice(2) works again.
    public private(set) var canSplice = false
    /// Set by OpenSSL's socket BIO on every read (cstoep_tls.h stoep_tls_track_drain).
    private let socketDrained = UnsafeMutablePointer<Int32>.allocate(capacity: 1)

    public func readDrained(got: Int, asked: Int) -> Bool {
        guard let s = ssl else { return true }
        return socketDrained.pointee == 1 && SSL_has_pending(s) == 0
    }
    /// The context this SSL came from: OpenSSL calls back into it during the handshake.
    var keepAlive: AnyObject?

    public enum HandshakeStep: Equatable {
        case done
        case wantRead
        case wantWrite
        case failed(String)
    }

    /// Wraps `fd` with a new SSL of `context`; nil when OpenSSL cannot allocate one.
    init?(fd: FileDescriptor, context: OpaquePointer, server: Bool) {
        guard let s = SSL_new(context) else { return nil }
        guard SSL_set_fd(s, fd.rawValue) == 1 else {
            SSL_free(s)
            return nil
        }
        if server { SSL_set_accept_state(s) } else { SSL_set_connect_state(s) }
        socketDrained.pointee = 0
        stoep_tls_track_drain(s, socketDrained)
        self.fd = fd
        ssl = s
    }

    /// The SSL object, for the server-name selector and the client name set-up.
    var handle: OpaquePointer? { ssl }

    /// One step of the handshake; call again on the readiness it asks for.
    public func handshake() -> HandshakeStep {
        guard let s = ssl else { return .failed("closed") }
        if handshakeDone { return .done }
        ERR_clear_error()
        let r = SSL_do_handshake(s)
        if r == 1 {
            handshakeDone = true
            // From now on read whatever the socket has in one recv, not a 5-byte header and then the
            // record: half the syscalls. Off during the handshake so no application byte is held in
            // OpenSSL unseen when the connection changes hands (readers keep reading until `.wouldBlock`).
            SSL_set_read_ahead(s, 1)
            canSplice = stoep_tls_ktls_send(s) == 1 && stoep_tls_ktls_recv(s) == 1
            return .done
        }
        switch SSL_get_error(s, r) {
        case SSL_ERROR_WANT_READ: return .wantRead
        case SSL_ERROR_WANT_WRITE: return .wantWrite
        case SSL_ERROR_SYSCALL:
            let e = Errno.current.rawValue
            ERR_clear_error()
            return .failed(r == 0 || e == 0 ? "connection closed during handshake" : "socket error \(e)")
        default:
            return .failed(TLSError.lastOpenSSLError())
        }
    }

    /// The negotiated protocol ("TLSv1.3"), after the handshake.
    public var protocolVersion: String {
        guard let s = ssl else { return "" }
        switch stoep_tls_version(s) {
        case TLS1_3_VERSION: return "TLSv1.3"
        case TLS1_2_VERSION: return "TLSv1.2"
        case TLS1_1_VERSION: return "TLSv1.1"
        default: return "TLSv1.0"
        }
    }

    /// Why the peer's certificate failed verification ("hostname mismatch", "unable to get local issuer
    /// certificate"), after a failed client handshake; nil when it passed or was not checked.
    public var verifyFailure: String? {
        guard let s = ssl else { return nil }
        let result = SSL_get_verify_result(s)
        guard result != X509_V_OK, let text = X509_verify_cert_error_string(result) else { return nil }
        return String(cString: text)
    }

    public var sessionReused: Bool { ssl.map { stoep_tls_session_reused($0) == 1 } ?? false }

    /// The SNI the client sent (server side), lower-cased; nil when none.
    public var serverName: String? {
        guard let s = ssl, let p = SSL_get_servername(s, TLSEXT_NAMETYPE_host_name) else { return nil }
        return String(cString: p).lowercased()
    }

    /// The protocol ALPN selected, if any.
    public var alpn: String? {
        guard let s = ssl else { return nil }
        var data: UnsafePointer<UInt8>? = nil
        var len: UInt32 = 0
        SSL_get0_alpn_selected(s, &data, &len)
        guard let data, len > 0 else { return nil }
        return String(decoding: UnsafeBufferPointer(start: data, count: Int(len)), as: UTF8.self)
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) -> IOResult {
        guard let s = ssl else { return .error(.badFileDescriptor) }
        // The error queue is empty here: every failure below clears it (SSL_get_error needs that).
        // Only a socket read made by this call may say "drained": one served from OpenSSL's buffer
        // says nothing about bytes (and readiness reports) that arrived since.
        socketDrained.pointee = 0
        let n = SSL_read(s, buffer.baseAddress, Int32(clamping: buffer.count))
        if n > 0 { return .bytes(Int(n)) }
        return failure(s, n, zeroIsEOF: true)
    }

    public func write(_ bytes: UnsafeRawBufferPointer) -> IOResult {
        guard let s = ssl else { return .error(.badFileDescriptor) }
        guard bytes.count > 0 else { return .bytes(0) }
        let n = SSL_write(s, bytes.baseAddress, Int32(clamping: bytes.count))
        if n > 0 { return .bytes(Int(n)) }
        return failure(s, n, zeroIsEOF: false)
    }

    private func failure(_ s: OpaquePointer, _ n: Int32, zeroIsEOF: Bool) -> IOResult {
        let e = Errno.current
        switch SSL_get_error(s, n) {
        case SSL_ERROR_WANT_READ, SSL_ERROR_WANT_WRITE: return .wouldBlock
        case SSL_ERROR_ZERO_RETURN:
            ERR_clear_error()
            return .eof  // close_notify
        case SSL_ERROR_SYSCALL:
            ERR_clear_error()
            // EOF without close_notify: many clients end that way; treat it as the end of the stream.
            if n == 0 || e.rawValue == 0 { return zeroIsEOF ? .eof : .error(.brokenPipe) }
            return .error(e)
        default:
            ERR_clear_error()
            return .error(.protocolError)
        }
    }

    /// Sends close_notify (best effort, non-blocking), then our FIN.
    public func shutdownWrite() {
        if let s = ssl, handshakeDone {
            ERR_clear_error()
            _ = SSL_shutdown(s)
            ERR_clear_error()
        }
        fd.shutdownWrite()
    }

    public func close() {
        if let s = ssl { SSL_free(s) }
        ssl = nil
        fd.close()
        fd = .invalid
    }

    deinit {
        if let s = ssl { SSL_free(s) }
        socketDrained.deallocate()
    }
}

public struct TLSError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }

    /// OpenSSL's reason for the last failure, for callers outside the Reactor.
    public static func lastError() -> String { lastOpenSSLError() }

    /// OpenSSL's reason for the last failure on this thread ("…:certificate verify failed"), queue cleared.
    static func lastOpenSSLError() -> String {
        var buf = [CChar](repeating: 0, count: 256)
        stoep_tls_last_error(&buf, buf.count)
        let text = String(decoding: buf.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        // "error:0A000086:SSL routines::certificate verify failed" → the reason after the last colon.
        if let colon = text.lastIndex(of: ":") { return String(text[text.index(after: colon)...]) }
        return text
    }
}
