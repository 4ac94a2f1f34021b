// The dynamic `tls` section: certificates, named TLS options (versions, ciphers, ALPN) and certificate
// stores. Certificates and stores are global in Traefik; options are provider-qualified except `default`.

public struct TraefikTLSConfig: Sendable, Hashable {
    public var certificates: [TraefikCertificate] = []
    /// By qualified name; the global `default` options keep the bare name "default".
    public var options: [String: TraefikTLSOptions] = [:]
    /// By store name (Traefik only uses "default").
    public var stores: [String: TraefikTLSStore] = [:]

    public init() {}
}

/// A PEM certificate and key, by path (or inline PEM, as Traefik also allows).
public struct TraefikCertificate: Sendable, Hashable {
    public var certFile: String
    public var keyFile: String
    /// Store names; empty = "default".
    public var stores: [String]
    public var location: SourceLocation

    public init(certFile: String, keyFile: String, stores: [String] = [], location: SourceLocation) {
        self.certFile = certFile
        self.keyFile = keyFile
        self.stores = stores
        self.location = location
    }
}

public struct TraefikTLSOptions: Sendable, Hashable {
    public static let versions = ["VersionTLS10", "VersionTLS11", "VersionTLS12", "VersionTLS13"]
    public static let defaultALPN = ["h2", "http/1.1", "acme-tls/1"]

    public var name: String
    /// One of `versions`; Traefik's default minimum is VersionTLS12.
    public var minVersion: String
    public var maxVersion: String?
    /// Go cipher suite names (TLS_ECDHE_…); empty = library defaults.
    public var cipherSuites: [String]
    public var curvePreferences: [String]
    /// Refuse handshakes whose SNI matches no certificate.
    public var sniStrict: Bool
    public var alpnProtocols: [String]
    public var location: SourceLocation

    public init(name: String, minVersion: String = "VersionTLS12", maxVersion: String? = nil, cipherSuites: [String] = [], curvePreferences: [String] = [],
                sniStrict: Bool = false, alpnProtocols: [String] = defaultALPN, location: SourceLocation) {
        self.name = name
        self.minVersion = minVersion
        self.maxVersion = maxVersion
        self.cipherSuites = cipherSuites
        self.curvePreferences = curvePreferences
        self.sniStrict = sniStrict
        self.alpnProtocols = alpnProtocols
        self.location = location
    }
}

public struct TraefikTLSStore: Sendable, Hashable {
    public var name: String
    public var defaultCertificate: TraefikCertificate?
    /// `defaultGeneratedCert`: the default certificate ordered from a resolver for `domain` (main + sans).
    public var defaultGeneratedCert: (resolver: String, domain: TraefikDomain)? {
        get { generated.map { ($0.resolver, $0.domain) } }
        set { generated = newValue.map { GeneratedDefault(resolver: $0.resolver, domain: $0.domain) } }
    }
    struct GeneratedDefault: Sendable, Hashable { var resolver: String; var domain: TraefikDomain }
    var generated: GeneratedDefault?
    public var location: SourceLocation

    public init(name: String, defaultCertificate: TraefikCertificate? = nil, location: SourceLocation) {
        self.name = name
        self.defaultCertificate = defaultCertificate
        self.location = location
    }
}

extension TraefikTLSConfig {
    static func decode(_ section: TraefikSection, scope: TraefikScope, log: inout TraefikIssueLog) -> TraefikTLSConfig {
        section.warnUnknownKeys(allowed: ["certificates", "options", "stores"], log: &log)
        var tls = TraefikTLSConfig()
        for entry in section.sections("certificates", &log) ?? [] {
            if let certificate = log.decodeEntry({ log in TraefikCertificate.decode(entry, allowsStores: true, log: &log) }) {
                tls.certificates.append(certificate)
            }
        }
        for (name, body) in section.section("options", &log)?.namedSections(&log) ?? [] {
            let qualified = name == "default" ? name : scope.qualify(name)
            if let options = log.decodeEntry({ log in TraefikTLSOptions.decode(name: qualified, body, log: &log) }) {
                tls.options[qualified] = options
            }
        }
        for (name, body) in section.section("stores", &log)?.namedSections(&log) ?? [] {
            let store: TraefikTLSStore? = log.decodeEntry { log in
                body.warnUnknownKeys(allowed: ["defaultCertificate", "defaultGeneratedCert"], log: &log)
                var store = TraefikTLSStore(name: name, location: body.location)
                if let generated = body.section("defaultGeneratedCert", &log) {
                    generated.warnUnknownKeys(allowed: ["resolver", "domain"], log: &log)
                    let domain = generated.section("domain", &log)
                    domain?.warnUnknownKeys(allowed: ["main", "sans"], log: &log)
                    if let resolver = generated.string("resolver", &log), !resolver.isEmpty,
                       let main = domain?.string("main", &log), !main.isEmpty {
                        store.defaultGeneratedCert = (resolver, TraefikDomain(main: main, sans: domain?.strings("sans", &log) ?? []))
                    } else {
                        // Traefik: "default generated certificate domain or resolver is missing" (a warning; none ordered).
                        log.warning(generated.location, generated.path, "expected resolver and domain.main; no default certificate is ordered")
                    }
                }
                if let certificate = body.section("defaultCertificate", &log) {
                    store.defaultCertificate = TraefikCertificate.decode(certificate, allowsStores: false, log: &log)
                }
                return store
            }
            if let store { tls.stores[name] = store }
        }
        return tls
    }
}

extension TraefikCertificate {
    static func decode(_ section: TraefikSection, allowsStores: Bool, log: inout TraefikIssueLog) -> TraefikCertificate? {
        section.warnUnknownKeys(allowed: allowsStores ? ["certFile", "keyFile", "stores"] : ["certFile", "keyFile"], log: &log)
        let stores = allowsStores ? section.strings("stores", &log) ?? [] : []
        guard let certFile = section.string("certFile", &log), let keyFile = section.string("keyFile", &log), !certFile.isEmpty, !keyFile.isEmpty else {
            log.error(section.location, section.path, "a certificate needs both certFile and keyFile")
            return nil
        }
        return TraefikCertificate(certFile: certFile, keyFile: keyFile, stores: stores, location: section.location)
    }
}

extension TraefikTLSOptions {
    static let keys = ["minVersion", "maxVersion", "cipherSuites", "curvePreferences", "sniStrict", "alpnProtocols", "clientAuth",
                       "preferServerCipherSuites", "disableSessionTickets"]

    static func decode(name: String, _ section: TraefikSection, log: inout TraefikIssueLog) -> TraefikTLSOptions {
        section.warnUnknownKeys(allowed: keys, log: &log)
        var options = TraefikTLSOptions(name: name, location: section.location)
        for key in ["minVersion", "maxVersion"] {
            guard let version = section.string(key, &log) else { continue }
            guard versions.contains(version) else {
                log.error(section.node(key)?.location ?? section.location, section.path(section.writtenKey(key)), "expected one of \(versions.joined(separator: ", ")), found \"\(version)\"")
                continue
            }
            if key == "minVersion" { options.minVersion = version } else { options.maxVersion = version }
        }
        options.cipherSuites = section.strings("cipherSuites", &log) ?? []
        options.curvePreferences = section.strings("curvePreferences", &log) ?? []
        options.sniStrict = section.bool("sniStrict", &log) ?? false
        options.alpnProtocols = section.strings("alpnProtocols", &log) ?? defaultALPN
        if let clientAuth = section.node("clientAuth") {
            // Ignoring it would accept clients the configuration meant to refuse.
            log.error(clientAuth.location, section.path(section.writtenKey("clientAuth")), "client certificate authentication is not supported by stoep yet")
        }
        for key in ["preferServerCipherSuites", "disableSessionTickets"] where section.has(key) {
            log.warning(section.node(key)?.location ?? section.location, section.path(section.writtenKey(key)), "\(key) is not supported; ignored")
        }
        return options
    }
}
