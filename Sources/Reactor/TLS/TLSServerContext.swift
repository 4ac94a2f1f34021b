// One TLS entry point's server side: an OpenSSL context with stoep's defaults (cstoep_tls.h), a range
// of protocol versions, and a certificate selection asked once per ClientHello. Which certificate a
// hello gets (by server name today; by offered ALPN too, later) is the selection's policy, decided
// above the Reactor (the Proxy's Traefik certificate set); this file only makes OpenSSL ask.
// The selection is replaced whole when certificates change (a renewed acme.json): handshakes after the
// swap see the new one, established connections keep the keys they negotiated.
import CStoepTLS
import Glibc

/// A TLS protocol version, as OpenSSL numbers it.
public enum TLSProtocolVersion: Int32, Sendable {
    case tls1_0 = 0x0301  // TLS1_VERSION
    case tls1_1 = 0x0302  // TLS1_1_VERSION
    case tls1_2 = 0x0303  // TLS1_2_VERSION
    case tls1_3 = 0x0304  // TLS1_3_VERSION
}

/// What a ClientHello asks for, as a certificate selection sees it: one value per handshake, so what
/// the selection may read (the offered ALPN protocols, for ACME's TLS-ALPN-01) can grow here without
/// reshaping the selection.
public struct TLSClientHello {
    /// The SNI host name, lower-cased; nil when the client sent none.
    public let serverName: String?
    /// The client offered ALPN "acme-tls/1": an ACME CA validating TLS-ALPN-01 (RFC 8737). The selection
    /// presents the challenge certificate for `serverName` or refuses; stoep selects acme-tls/1 and the
    /// connection ends after the handshake.
    public let acmeTLSALPN: Bool

    public init(serverName: String?, acmeTLSALPN: Bool = false) {
        self.serverName = serverName
        self.acmeTLSALPN = acmeTLSALPN
    }
}

/// A selection's answer to one ClientHello.
public enum TLSCertificateChoice {
    /// The selection's default certificate, which is the context's own: nothing is set per connection.
    case defaultCertificate
    /// This certificate, key and chain, set on the connection.
    case certificate(TLSCertificate)
    /// Refuse the handshake (alert unrecognized_name); `reason` is counted in `TLSStats.failures`.
    case refuse(reason: String)
}

/// How a server context picks the certificate for a handshake. Implemented above the Reactor (the
/// Proxy's `TLSCertificateSet`: Traefik's policy). Called on the loop's thread from inside
/// `SSL_do_handshake`, once per ClientHello: keep it to a lookup.
public protocol TLSCertificateSelection: AnyObject {
    /// Installed as the context's own certificate, presented when `choose` answers `.defaultCertificate`.
    var defaultCertificate: TLSCertificate { get }
    func choose(for hello: TLSClientHello) -> TLSCertificateChoice
}

public final class TLSServerContext {
    let context: OpaquePointer
    /// Replaced whole on a change; its default certificate becomes the context's own, so a handshake
    /// that selects it (no SNI, an unknown name) sets nothing per connection.
    public var selection: any TLSCertificateSelection {
        didSet { selection.defaultCertificate.install(on: context) }
    }
    public let stats: TLSStats

    /// `minimum`/`maximum`: the protocol versions accepted; nil = TLS 1.2 up to 1.3.
    public init(selection: any TLSCertificateSelection, minimum: TLSProtocolVersion? = nil,
                maximum: TLSProtocolVersion? = nil, stats: TLSStats) throws(TLSError) {
        self.selection = selection
        self.stats = stats
        let selector: stoep_tls_sni_selector = { ssl, name, acmeTLS, arg in
            guard let ssl, let arg else { return 1 }
            let me = Unmanaged<TLSServerContext>.fromOpaque(arg).takeUnretainedValue()
            return me.select(ssl, TLSClientHello(serverName: name.map { String(cString: $0).lowercased() }, acmeTLSALPN: acmeTLS != 0)) ? 0 : 1
        }
        // `self` is not available before every stored property is set: create, then attach.
        guard let ctx = stoep_tls_server_context(minimum?.rawValue ?? 0, maximum?.rawValue ?? 0, selector, nil) else {
            throw TLSError("cannot create a TLS context: \(TLSError.lastOpenSSLError())")
        }
        context = ctx
        stoep_tls_server_set_selector_arg(ctx, Unmanaged.passUnretained(self).toOpaque())
        selection.defaultCertificate.install(on: ctx)
    }

    deinit { SSL_CTX_free(context) }

    /// A server-side transport for an accepted socket (the handshake is still to run).
    public func transport(fd: FileDescriptor) -> TLSTransport? {
        guard let t = TLSTransport(fd: fd, context: context, server: true) else { return nil }
        t.keepAlive = self  // the callback's argument is this object: it must outlive every handshake
        return t
    }

    /// Called by OpenSSL for every ClientHello: false refuses the handshake.
    private func select(_ ssl: OpaquePointer, _ hello: TLSClientHello) -> Bool {
        switch selection.choose(for: hello) {
        case .defaultCertificate: return true
        case .certificate(let c): return c.use(on: ssl)
        case .refuse(let reason):
            stats.failed(reason)
            return false
        }
    }
}
