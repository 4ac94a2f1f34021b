// One TLS entry point's server side: an OpenSSL context with stoep's defaults (cstoep_tls.h) whose
// ClientHello callback picks the certificate from the current TLSCertificateSet by SNI. The set is
// replaced whole when certificates change (a renewed acme.json): handshakes after the swap see the
// new set, established connections keep the keys they negotiated.
import CStoepTLS
import Glibc

public final class TLSServerContext {
    let context: OpaquePointer
    /// Replaced whole on a change; the default certificate also becomes the context's own, so a
    /// handshake that selects it (no SNI, an unknown name) sets nothing per connection.
    public var certificates: TLSCertificateSet {
        didSet { certificates.defaultCertificate.install(on: context) }
    }
    public let stats: TLSStats

    /// `minVersion`/`maxVersion`: "VersionTLS12"… as Traefik's tls.options; nil = TLS 1.2 up to 1.3.
    public init(certificates: TLSCertificateSet, minVersion: String? = nil, maxVersion: String? = nil, stats: TLSStats) throws(TLSError) {
        self.certificates = certificates
        self.stats = stats
        let selector: stoep_tls_sni_selector = { ssl, name, arg in
            guard let ssl, let arg else { return 1 }
            let me = Unmanaged<TLSServerContext>.fromOpaque(arg).takeUnretainedValue()
            return me.select(ssl, name: name.map { String(cString: $0).lowercased() }) ? 0 : 1
        }
        // `self` is not available before every stored property is set: create, then attach.
        guard let ctx = stoep_tls_server_context(TLSServerContext.version(minVersion), TLSServerContext.version(maxVersion), selector, nil) else {
            throw TLSError("cannot create a TLS context: \(TLSError.lastOpenSSLError())")
        }
        context = ctx
        stoep_tls_server_set_selector_arg(ctx, Unmanaged.passUnretained(self).toOpaque())
        certificates.defaultCertificate.install(on: ctx)
    }

    deinit { SSL_CTX_free(context) }

    /// A server-side transport for an accepted socket (the handshake is still to run).
    public func transport(fd: FileDescriptor) -> TLSTransport? {
        guard let t = TLSTransport(fd: fd, context: context, server: true) else { return nil }
        t.keepAlive = self  // the callback's argument is this object: it must outlive every handshake
        return t
    }

    /// Called by OpenSSL for every ClientHello: the certificate for `name`, or the default one.
    private func select(_ ssl: OpaquePointer, name: String?) -> Bool {
        guard let c = certificates.select(name) else {
            stats.failed("no certificate for the server name (sniStrict)")
            return false
        }
        return c === certificates.defaultCertificate || c.use(on: ssl)
    }

    static func version(_ name: String?) -> Int32 {
        switch name {
        case "VersionTLS10": return TLS1_VERSION
        case "VersionTLS11": return TLS1_1_VERSION
        case "VersionTLS12": return TLS1_2_VERSION
        case "VersionTLS13": return TLS1_3_VERSION
        default: return 0
        }
    }
}

/// The certificates of one TLS store, indexed for selection by server name as Traefik does: an exact
/// name first, then a wildcard one label up, then the default certificate (unless sniStrict).
public final class TLSCertificateSet {
    public let all: [TLSCertificate]
    public let defaultCertificate: TLSCertificate
    public let sniStrict: Bool
    private var exact: [String: TLSCertificate] = [:]
    private var wildcard: [String: TLSCertificate] = [:]

    /// Earlier certificates win a name both carry (the configuration's order).
    public init(_ certificates: [TLSCertificate], defaultCertificate: TLSCertificate, sniStrict: Bool = false) {
        all = certificates
        self.defaultCertificate = defaultCertificate
        self.sniStrict = sniStrict
        for c in certificates {
            for n in c.names {
                if n.hasPrefix("*.") {
                    if wildcard[String(n.dropFirst(2))] == nil { wildcard[String(n.dropFirst(2))] = c }
                } else if exact[n] == nil {
                    exact[n] = c
                }
            }
        }
    }

    /// The certificate to present for `name` (lower-cased SNI; nil when the client sent none).
    public func select(_ name: String?) -> TLSCertificate? {
        if let name {
            if let c = exact[name] { return c }
            if let dot = name.firstIndex(of: "."), let c = wildcard[String(name[name.index(after: dot)...])] { return c }
        }
        return sniStrict ? nil : defaultCertificate
    }
}
