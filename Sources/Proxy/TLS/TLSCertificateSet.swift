// Traefik's certificate policy for a TLS entry point: which certificate a ClientHello gets, and the
// protocol versions its tls.options name. The Reactor's TLSServerContext asks the set once per
// ClientHello (TLSCertificateSelection); what the answer is, is decided here.
import Reactor

/// The certificates of one TLS store, indexed for selection by server name as Traefik does
/// (pkg/tls/certificate_store.go): an exact name first, then a wildcard one label up, then the default
/// certificate — unless sniStrict, which refuses a hello that matches no certificate (or has no SNI).
public final class TLSCertificateSet: TLSCertificateSelection {
    public let all: [TLSCertificate]
    public let defaultCertificate: TLSCertificate
    public let sniStrict: Bool
    /// TLS-ALPN-01 challenge certificates live now (shared by every set the termination makes).
    public var acmeTLSChallenges: TLSALPNChallengeCertificates?
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

    /// The certificate to present for `name` (lower-cased SNI; nil when the client sent none); nil
    /// when sniStrict refuses.
    public func select(_ name: String?) -> TLSCertificate? {
        if let name {
            if let c = exact[name] { return c }
            if let dot = name.firstIndex(of: "."), let c = wildcard[String(name[name.index(after: dot)...])] { return c }
        }
        return sniStrict ? nil : defaultCertificate
    }

    public func choose(for hello: TLSClientHello) -> TLSCertificateChoice {
        if hello.acmeTLSALPN {
            guard let name = hello.serverName, let c = acmeTLSChallenges?.certificate(for: name) else {
                return .refuse(reason: "acme-tls/1 for a name with no live TLS-ALPN-01 challenge")
            }
            return .certificate(c)
        }
        guard let c = select(hello.serverName) else { return .refuse(reason: "no certificate for the server name (sniStrict)") }
        return c === defaultCertificate ? .defaultCertificate : .certificate(c)
    }
}

/// Traefik's generated default certificate: what a TLS entry point presents when `tls.stores.default`
/// names none (Traefik's pkg/tls/generate DefaultDomain).
public enum TraefikDefaultCertificate {
    public static let commonName = "TRAEFIK DEFAULT CERT"

    public static func generate() -> TLSCertificate? { TLSCertificate.selfSigned(commonName: commonName) }
}

extension TLSSettings {
    /// tls.options' minVersion/maxVersion ("VersionTLS12"…, Traefik's names) as protocol versions;
    /// nil for an absent or unknown name (the context's default: TLS 1.2 up to 1.3). The configuration
    /// reader already reported unknown names.
    public static func protocolVersion(_ name: String?) -> TLSProtocolVersion? {
        switch name {
        case "VersionTLS10": return .tls1_0
        case "VersionTLS11": return .tls1_1
        case "VersionTLS12": return .tls1_2
        case "VersionTLS13": return .tls1_3
        default: return nil
        }
    }

    /// A server context for these settings' protocol versions, choosing certificates from `certificates`.
    public func serverContext(certificates: TLSCertificateSet, stats: TLSStats) throws(TLSError) -> TLSServerContext {
        try TLSServerContext(selection: certificates, minimum: Self.protocolVersion(minVersion),
                             maximum: Self.protocolVersion(maxVersion), stats: stats)
    }
}
