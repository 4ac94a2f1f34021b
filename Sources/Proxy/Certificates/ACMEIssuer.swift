// An ACME resolver's issuer: its account and certificates live in acme.json under the resolver's name, in
// Traefik's layout (ACMEStorageDocument). The account key is RSA 4096, as Traefik makes it (Traefik reads
// nothing else there). Keys come from a KeyMaker: RSA keys take seconds to generate, so the appliance
// makes them in a child process (`stoep keygen`) and the loop goes on serving. Every write re-reads
// the file first and replaces only this resolver's key, so resolvers sharing a file (and entries stoep
// does not run) keep theirs.
import ACME
import Config
import HTTPClient
import JSON
import PKI
import Reactor

/// Makes a private key of a type and calls back on the loop (nil when it cannot).
public typealias KeyMaker = (_ type: PKI.KeyType, _ done: @escaping (PrivateKey?) -> Void) -> Void

public final class ACMEIssuer: CertificateIssuer {
    public let resolver: String
    public let storage: String
    private let settings: TraefikCertificatesResolver.ACME
    private let solvers: [ACMEChallengeSolver]
    private let log: Logger
    private let makeKey: KeyMaker
    /// Made when the account key exists (read from acme.json, or generated before the first order).
    private var client: ACMEClient?
    private let makeClient: (PrivateKey, ACMEStorageDocument.Account?) -> ACMEClient
    /// The bytes of the last write (told apart from an outside change when the watch reports it).
    public private(set) var lastWritten: [UInt8]?
    /// Told after each write with what the resolver now holds.
    var stored: ([CertificateResolverRun.Held]) -> Void = { _ in }

    /// nil (with the reason) when the CA URL or the trust settings are unusable.
    public static func make(resolver: String, settings: TraefikCertificatesResolver.ACME, solvers: [ACMEChallengeSolver],
                            environment: [String: String], loop: EventLoop, log: Logger, makeKey: @escaping KeyMaker,
                            resolve: @escaping ACMEClient.AddressResolver) -> Result<ACMEIssuer, IssueFailure> {
        guard let url = ACMEClient.caURL(settings.caServer) else {
            return .failure(IssueFailure("caServer \(settings.caServer) is not an https URL", caAnswered: false))
        }
        // caCertificates, else LEGO_CA_CERTIFICATES (paths separated by commas or the path-list separator),
        // replace the system roots; caSystemCertPool adds them back.
        var files = settings.caCertificates
        if files.isEmpty, let env = environment["LEGO_CA_CERTIFICATES"] {
            files = env.split(whereSeparator: { $0 == "," || $0 == ":" }).map(String.init)
        }
        let trust: TLSClientContext
        do {
            trust = try TLSClientContext(rootCAFiles: files, systemRoots: files.isEmpty || settings.caSystemCertPool)
        } catch {
            return .failure(IssueFailure("certificatesResolvers.\(resolver).acme: \(error)", caAnswered: false))
        }
        var clientSettings = ACMEClient.Settings(directory: url, trust: trust)
        clientSettings.serverName = settings.caServerName ?? environment["LEGO_CA_SERVER_NAME"]
        clientSettings.email = settings.email
        clientSettings.profile = settings.profile
        clientSettings.externalAccountBinding = settings.eab.map { ($0.keyID, $0.hmacEncoded) }
        clientSettings.requestTimeout = UInt64(max(1_000_000_000, settings.clientTimeout.nanoseconds))
        let (document, problems) = read(settings.storage)
        for p in problems { log.warning("ACME \(resolver): \(p)") }
        let makeClient = { (key: PrivateKey, stored: ACMEStorageDocument.Account?) in
            // An account registered at another CA (the file moved from staging to production) is not reused.
            let sameCA = stored?.registrationURI.flatMap(HTTPURL.init).map { $0.host == url.host && $0.port == url.port } ?? false
            return ACMEClient(loop: loop, settings: clientSettings, accountKey: key, accountURL: sameCA ? stored?.registrationURI : nil,
                              registrationBody: sameCA ? stored?.registrationBody?.jsonText : nil, resolve: resolve, log: log)
        }
        let issuer = ACMEIssuer(resolver: resolver, settings: settings, solvers: solvers, log: log, makeKey: makeKey, makeClient: makeClient)
        issuer.useStoredAccount(document)
        return .success(issuer)
    }

    /// Takes the account `document` holds for this resolver, when there is one with a readable key.
    @discardableResult
    private func useStoredAccount(_ document: ACMEStorageDocument) -> Bool {
        guard let stored = document.resolvers[resolver]?.account, let key = PrivateKey(der: stored.privateKeyDER) else { return false }
        use(key, stored)
        return true
    }

    private init(resolver: String, settings: TraefikCertificatesResolver.ACME, solvers: [ACMEChallengeSolver], log: Logger,
                 makeKey: @escaping KeyMaker, makeClient: @escaping (PrivateKey, ACMEStorageDocument.Account?) -> ACMEClient) {
        self.resolver = resolver
        self.storage = settings.storage
        self.settings = settings
        self.solvers = solvers
        self.log = log
        self.makeKey = makeKey
        self.makeClient = makeClient
    }

    private func use(_ accountKey: PrivateKey, _ stored: ACMEStorageDocument.Account? = nil) {
        let c = makeClient(accountKey, stored)
        c.accountChanged = { [unowned self] in saveAccount() }
        client = c
    }

    /// The client, once the account key exists (generated now when acme.json has none). acme.json is read
    /// again first: on a swarm node that just became the issuer, it holds the account its peers shared.
    private func withClient(_ body: @escaping (Result<ACMEClient, IssueFailure>) -> Void) {
        if let client { return body(.success(client)) }
        if useStoredAccount(Self.read(storage).0), let client { return body(.success(client)) }
        makeKey(.rsa4096) { [self] key in
            guard let key else { return body(.failure(IssueFailure("cannot generate an account key", caAnswered: false))) }
            if client == nil { use(key) }
            body(.success(client!))
        }
    }

    public var accountURL: String? { client?.accountURL }

    /// What the storage holds for this resolver now.
    public func held() -> [CertificateResolverRun.Held] {
        Self.held(Self.read(storage).0.resolvers[resolver])
    }

    static func held(_ r: ACMEStorageDocument.Resolver?) -> [CertificateResolverRun.Held] {
        (r?.certificates ?? []).compactMap { c in
            CertificateFacts(pem: c.certificatePEM).map { CertificateResolverRun.Held(names: c.names.map { $0.lowercased() }, notAfter: $0.notAfter) }
        }
    }

    public func issue(_ names: [String], done: @escaping (Result<IssuedCertificate, IssueFailure>) -> Void) {
        if names.contains(where: { $0.hasPrefix("*.") }) && !solvers.contains(where: { $0.kind == .dns01 }) {
            // Not even an order: the CA would only refuse its authorization (Traefik refuses it the same way).
            return done(.failure(IssueFailure("a wildcard name needs the DNS-01 challenge (dnsChallenge with the exec or httpreq provider)", caAnswered: true)))
        }
        let keyType = PKI.KeyType(rawValue: settings.keyType.rawValue) ?? .rsa4096
        withClient { [self] c in
            guard case .success(let client) = c else {
                if case .failure(let f) = c { done(.failure(f)) }
                return
            }
            makeKey(keyType) { [self] key in
                guard let key else { return done(.failure(IssueFailure("cannot generate a \(keyType.rawValue) key", caAnswered: false))) }
                client.obtain(names: names, certificateKey: key, solvers: solvers) { [self] result in
                    switch result {
                    case .failure(let e):
                        let answered: Bool
                        switch e {
                        case .transport, .timeout: answered = false
                        case .problem: answered = e.problemType != "badNonce"  // a nonce race is not a refusal
                        case .protocolViolation, .challenge: answered = true
                        }
                        done(.failure(IssueFailure("\(e)", caAnswered: answered)))
                    case .success(let c):
                        let issued = IssuedCertificate(names: names, certificatePEM: c.certificatePEM, keyPEM: c.keyPEM)
                        if let problem = save(issued) { return done(.failure(IssueFailure(problem, caAnswered: false))) }
                        done(.success(issued))
                    }
                }
            }
        }
    }

    // MARK: - Storage

    static func read(_ path: String) -> (ACMEStorageDocument, [String]) {
        switch readWholeFile(path) {
        case .success(let bytes): return ACMEStorageDocument.parse(bytes, path: path)
        case .failure(.system(.noSuchFileOrDirectory)): return (ACMEStorageDocument(), [])
        case .failure(let e): return (ACMEStorageDocument(), ["\(path): cannot read (\(e))"])
        }
    }

    /// Replaces this resolver's entry for the same names (or adds one), keeping everything else.
    private func save(_ issued: IssuedCertificate) -> String? {
        update { r in
            let entry = ACMEStorageDocument.Certificate(main: issued.names[0], sans: Array(issued.names.dropFirst()),
                                                        certificatePEM: issued.certificatePEM, keyPEM: issued.keyPEM)
            if let i = r.certificates.firstIndex(where: { $0.names.map { $0.lowercased() } == issued.names }) {
                r.certificates[i] = entry
            } else {
                r.certificates.append(entry)
            }
        }
    }

    private func saveAccount() {
        if let problem = update({ _ in }) { log.warning("ACME \(resolver): the account could not be stored: \(problem)") }
    }

    private func update(_ change: (inout ACMEStorageDocument.Resolver) -> Void) -> String? {
        var (document, problems) = Self.read(storage)
        if !problems.isEmpty && !document.resolvers.isEmpty { log.warning("ACME \(resolver): \(problems.joined(separator: "; "))") }
        var r = document.resolvers[resolver] ?? ACMEStorageDocument.Resolver()
        if let client {
            r.account = ACMEStorageDocument.Account(email: settings.email ?? "", privateKeyDER: client.accountKey.der,
                                                    registrationBody: client.registrationBody.flatMap(Self.registration),
                                                    registrationURI: client.accountURL)
        }
        change(&r)
        document.resolvers[resolver] = r
        let bytes = document.serialized()
        do {
            try writeFileAtomically(path: storage, bytes: bytes, mode: 0o600)
            lastWritten = bytes
        } catch {
            return "\(storage): cannot write (\(error))"
        }
        stored(Self.held(r))
        return nil
    }

    /// The CA's account object reduced to the members lego keeps (status, contact, termsOfServiceAgreed,
    /// orders), so the file matches what Traefik writes.
    private static func registration(_ text: String) -> JSONValue? {
        guard let v = try? JSONParser.parse(text), let members = v.objectValue else { return nil }
        let kept = ["status", "contact", "termsOfServiceAgreed", "orders", "onlyReturnExisting", "externalAccountBinding"]
        return .object(kept.compactMap { k in members.last { $0.key == k } })
    }
}
