// `certificatesResolvers.NAME`: how a router's `tls.certResolver` gets its certificates. Traefik's
// `acme` resolver (RFC 8555, lego's options, Traefik 3.7's defaults) and stoep's own `localCA` (the
// community CA for boxes with no uplink; a key Traefik does not have, so only in stoep's TOML).
// Every key is honoured or refused with its reason (docs/tls.md); nothing is silently dropped. What
// stoep cannot do (a DNS provider's API) is a warning, listed by `show config-errors`:
// the other resolvers and names keep working, as a Traefik whose provider fails keeps serving.

public struct TraefikCertificatesResolver: Sendable, Hashable {
    public static let defaultCAServer = "https://acme-v02.api.letsencrypt.org/directory"

    public enum KeyType: String, Sendable, Hashable, CaseIterable {
        case ec256 = "EC256", ec384 = "EC384", rsa2048 = "RSA2048", rsa4096 = "RSA4096", rsa8192 = "RSA8192"
    }

    /// `eab`: External Account Binding (RFC 8555 §7.3.4): the key id and the base64url HMAC key.
    public struct ExternalAccountBinding: Sendable, Hashable {
        public var keyID: String
        public var hmacEncoded: String
    }

    /// `dnsChallenge`: only lego's `exec` and `httpreq` providers can run here (their settings come from
    /// the environment, as in lego: EXEC_PATH, HTTPREQ_ENDPOINT…).
    public struct DNSChallenge: Sendable, Hashable {
        public var provider: String
        /// `resolvers` ("1.1.1.1:53"): where the propagation check asks; empty = the system's.
        public var resolvers: [String] = []
        /// `propagation.delayBeforeChecks`, or the deprecated `delayBeforeCheck`.
        public var delayBeforeCheck: TraefikDuration = .zero
        /// `propagation.disableChecks`, or the deprecated `disablePropagationCheck`.
        public var disableChecks = false
        public var requireAllRNS = false
        public var disableANSChecks = false
    }

    public struct ACME: Sendable, Hashable {
        public var email: String?
        public var caServer = TraefikCertificatesResolver.defaultCAServer
        /// Path of acme.json (Traefik's layout, shared by every resolver that names it).
        public var storage = "acme.json"
        public var keyType = KeyType.rsa4096
        public var eab: ExternalAccountBinding?
        /// Hours a certificate lives (Traefik: 2160 = 90 days); the renewal window follows it.
        public var certificatesDurationHours: Int64 = 2160
        /// ACME profile (draft-aaron-acme-profiles) asked for in each new order; nil = the CA's default.
        public var profile: String?
        public var clientTimeout = TraefikDuration.seconds(120)
        public var clientResponseHeaderTimeout = TraefikDuration.seconds(30)
        public var certificateTimeout = TraefikDuration.seconds(30)
        /// `caCertificates` (PEM files) that authenticate the CA server; they replace the system roots
        /// unless `caSystemCertPool`. Empty: the LEGO_CA_CERTIFICATES environment variable, then the system.
        public var caCertificates: [String] = []
        public var caSystemCertPool = false
        /// `caServerName`: the name checked in the CA server's certificate instead of the URL's host.
        public var caServerName: String?
        public var httpChallengeEntryPoint: String?
        public var httpChallengeDelay = TraefikDuration.zero
        public var tlsChallenge = false
        public var tlsChallengeDelay = TraefikDuration.zero
        public var dnsChallenge: DNSChallenge?

        public init() {}
    }

    /// stoep's community CA: a root and an intermediate kept in `storage` (a directory), issuing
    /// short-lived certificates itself with no network.
    public struct LocalCA: Sendable, Hashable {
        public var storage = "/var/lib/stoep/ca"
        /// Hours an issued certificate lives (default 7 days); renewed at two thirds of that.
        public var certificatesDurationHours: Int64 = 168
        public init() {}
    }

    public enum Kind: Sendable, Hashable {
        case acme(ACME)
        case localCA(LocalCA)
    }

    public var name: String
    public var kind: Kind
    public var location: SourceLocation

    public init(name: String, kind: Kind, location: SourceLocation) {
        self.name = name
        self.kind = kind
        self.location = location
    }

    public var acme: ACME? { if case .acme(let a) = kind { a } else { nil } }
    public var localCA: LocalCA? { if case .localCA(let l) = kind { l } else { nil } }

    /// The DNS-01 providers stoep runs (lego's names); any other is refused with this list.
    public static let supportedDNSProviders = ["exec", "httpreq"]

    static func decode(name: String, _ section: TraefikSection, log: inout TraefikIssueLog) -> TraefikCertificatesResolver? {
        log.decodeEntry { log in
            section.warnUnknownKeys(allowed: ["acme", "localCA", "tailscale"], log: &log)
            if section.has("tailscale") {
                log.warning(section.node("tailscale")?.location ?? section.location, section.path("tailscale"),
                          "the Tailscale resolver needs a tailscaled on the box; stoep does not support it")
            }
            if let local = section.section("localCA", &log) {
                if section.has("acme") {
                    log.error(local.location, section.path, "expected one of acme and localCA, found both")
                }
                return TraefikCertificatesResolver(name: name, kind: .localCA(decodeLocalCA(local, log: &log)), location: section.location)
            }
            guard let acme = section.section("acme", &log) else {
                log.error(section.location, section.path, "expected [\(section.path).acme] or stoep's [\(section.path).localCA]")
                return nil
            }
            return TraefikCertificatesResolver(name: name, kind: .acme(decodeACME(acme, log: &log)), location: section.location)
        }
    }

    private static func decodeLocalCA(_ s: TraefikSection, log: inout TraefikIssueLog) -> LocalCA {
        s.warnUnknownKeys(allowed: ["storage", "certificatesDuration"], log: &log)
        var local = LocalCA()
        local.storage = s.string("storage", &log) ?? local.storage
        local.certificatesDurationHours = s.integer("certificatesDuration", in: 1...87600, &log) ?? local.certificatesDurationHours
        return local
    }

    private static func decodeACME(_ s: TraefikSection, log: inout TraefikIssueLog) -> ACME {
        s.warnUnknownKeys(allowed: ["email", "storage", "caServer", "keyType", "certificatesDuration", "preferredChain", "eab", "caCertificates",
                                    "caSystemCertPool", "caServerName", "clientTimeout", "clientResponseHeaderTimeout", "certificateTimeout",
                                    "profile", "emailAddresses", "disableCommonName", "dnsChallenge", "httpChallenge", "tlsChallenge"], log: &log)
        var a = ACME()
        a.email = s.string("email", &log)
        a.storage = s.string("storage", &log) ?? a.storage
        a.caServer = s.string("caServer", &log) ?? a.caServer
        if let text = s.string("keyType", &log) {
            if let k = KeyType(rawValue: text) {
                a.keyType = k
            } else {
                log.error(s.node("keyType")?.location ?? s.location, s.path("keyType"),
                          "expected one of \(KeyType.allCases.map(\.rawValue).joined(separator: ", ")), found \"\(text)\"")
            }
        }
        a.certificatesDurationHours = s.integer("certificatesDuration", in: 1...876000, &log) ?? a.certificatesDurationHours
        a.profile = s.string("profile", &log)
        a.clientTimeout = s.duration("clientTimeout", &log) ?? a.clientTimeout
        a.clientResponseHeaderTimeout = s.duration("clientResponseHeaderTimeout", &log) ?? a.clientResponseHeaderTimeout
        a.certificateTimeout = s.duration("certificateTimeout", &log) ?? a.certificateTimeout
        a.caCertificates = s.strings("caCertificates", &log) ?? []
        a.caSystemCertPool = s.bool("caSystemCertPool", &log) ?? false
        a.caServerName = s.string("caServerName", &log)
        if let eab = s.section("eab", &log) {
            eab.warnUnknownKeys(allowed: ["kid", "hmacEncoded"], log: &log)
            let kid = eab.string("kid", &log), hmac = eab.string("hmacEncoded", &log)
            if let kid, let hmac, !kid.isEmpty, !hmac.isEmpty {
                a.eab = ExternalAccountBinding(keyID: kid, hmacEncoded: hmac)
            } else {
                log.error(eab.location, eab.path, "expected both kid and hmacEncoded")
            }
        }
        // What lego would do that stoep does not: refused by name, so the operator knows.
        for (key, reason) in [("preferredChain", "stoep downloads the CA's default chain only"),
                              ("emailAddresses", "stoep's CSRs carry DNS names and IP addresses only"),
                              ("disableCommonName", "stoep's CSRs always carry the first name as the common name")] where s.has(key) {
            // disableCommonName: false is lego's default, which is what stoep does.
            if key == "disableCommonName" && s.bool(key, &log) == false { continue }
            log.error(s.node(key)?.location ?? s.location, s.path(s.writtenKey(key)), "not supported: \(reason)")
        }
        if let http = s.section("httpChallenge", &log) {
            http.warnUnknownKeys(allowed: ["entryPoint", "delay"], log: &log)
            if let ep = http.string("entryPoint", &log), !ep.isEmpty {
                a.httpChallengeEntryPoint = ep
            } else {
                log.error(http.location, http.path, "expected entryPoint (the entry point that answers on port 80)")
            }
            a.httpChallengeDelay = http.duration("delay", &log) ?? .zero
        }
        if let tls = s.section("tlsChallenge", &log) {
            tls.warnUnknownKeys(allowed: ["delay"], log: &log)
            a.tlsChallenge = true
            a.tlsChallengeDelay = tls.duration("delay", &log) ?? .zero
        } else if s.has("tlsChallenge") && !s.isDisabled("tlsChallenge") {
            a.tlsChallenge = true  // `tlsChallenge = {}` or an empty label
        }
        if let dns = s.section("dnsChallenge", &log) { a.dnsChallenge = decodeDNSChallenge(dns, log: &log) }
        if a.httpChallengeEntryPoint == nil && !a.tlsChallenge && a.dnsChallenge == nil {
            log.warning(s.location, s.path, "expected one of httpChallenge, tlsChallenge and dnsChallenge; this resolver orders nothing")
        }
        return a
    }

    private static func decodeDNSChallenge(_ s: TraefikSection, log: inout TraefikIssueLog) -> DNSChallenge {
        s.warnUnknownKeys(allowed: ["provider", "resolvers", "propagation", "delayBeforeCheck", "disablePropagationCheck"], log: &log)
        var d = DNSChallenge(provider: s.string("provider", &log) ?? "")
        if !supportedDNSProviders.contains(d.provider) {
            log.warning(s.node("provider")?.location ?? s.location, s.path("provider"),
                      "DNS provider \"\(d.provider)\" is not supported by stoep (it runs lego's \(supportedDNSProviders.joined(separator: " and ")) providers only: a script or an HTTP endpoint that sets the TXT record); names that need it get no certificate")
        }
        d.resolvers = s.strings("resolvers", &log) ?? []
        d.delayBeforeCheck = s.duration("delayBeforeCheck", &log) ?? .zero
        d.disableChecks = s.bool("disablePropagationCheck", &log) ?? false
        if let p = s.section("propagation", &log) {
            p.warnUnknownKeys(allowed: ["disableChecks", "disableANSChecks", "requireAllRNS", "delayBeforeChecks"], log: &log)
            d.delayBeforeCheck = p.duration("delayBeforeChecks", &log) ?? d.delayBeforeCheck
            d.disableChecks = p.bool("disableChecks", &log) ?? d.disableChecks
            d.requireAllRNS = p.bool("requireAllRNS", &log) ?? false
            d.disableANSChecks = p.bool("disableANSChecks", &log) ?? false
        }
        return d
    }
}
