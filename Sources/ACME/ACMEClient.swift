// The RFC 8555 client of one certificate resolver, on the loop: the directory (fetched once), a pool of
// nonces (each answer's Replay-Nonce; `badNonce` is retried with the fresh one the error carries), the
// account (registered once, its URL kept by the caller in acme.json and reused), and signed POSTs.
// Orders are run by ACMEOrderRun, one at a time per client (the caller queues them).
import HTTP
import HTTPClient
import JSON
import PKI
import Reactor

public final class ACMEClient {
    public struct Settings {
        public var directory: HTTPURL
        /// The name checked in the CA's certificate (Traefik's caServerName); nil = the URL's host.
        public var serverName: String?
        public var trust: TLSClientContext
        public var email: String?
        public var externalAccountBinding: (keyID: String, macKey: String)?
        public var profile: String?
        /// One HTTP exchange (Traefik's clientTimeout, default 2 min).
        public var requestTimeout: UInt64 = 120_000_000_000
        /// Waiting for validation and for the certificate after finalize.
        public var orderTimeout: UInt64 = 180_000_000_000

        public init(directory: HTTPURL, trust: TLSClientContext) {
            self.directory = directory
            self.trust = trust
        }
    }

    /// Finds the CA's address without blocking the loop (a literal, /etc/hosts, or a DNS lookup).
    public typealias AddressResolver = (_ host: String, _ port: UInt16, _ done: @escaping (SocketAddress?) -> Void) -> Void

    let loop: EventLoop
    let settings: Settings
    let log: Logger
    private let resolve: AddressResolver
    public let accountKey: PrivateKey
    /// The account's URL (the `kid`), once registered or read back from storage.
    public private(set) var accountURL: String?
    /// The registration as the CA returned it (JSON text), for acme.json's `Registration.body`.
    public private(set) var registrationBody: String?
    /// Told when the account was (re-)registered, so the caller stores it.
    public var accountChanged: () -> Void = {}

    private var directory: JSONValue?
    private var nonces: [String] = []
    private var address: SocketAddress?

    public init(loop: EventLoop, settings: Settings, accountKey: PrivateKey, accountURL: String?, registrationBody: String?,
                resolve: @escaping AddressResolver, log: Logger) {
        self.loop = loop
        self.settings = settings
        self.accountKey = accountKey
        self.accountURL = accountURL
        self.registrationBody = registrationBody
        self.resolve = resolve
        self.log = log
    }

    // MARK: - Requests

    /// The directory and every URL the CA returns (Location, order, authorization, challenge, certificate)
    /// are absolute https URLs (RFC 8555 §7.1); anything else (user info included) is refused where it is read.
    public static func caURL(_ text: String) -> HTTPURL? {
        guard let url = HTTPURL(text), url.tls, url.userInfo == nil else { return nil }
        return url
    }

    /// Certificates with their chain are a few KiB; a directory or order far less.
    static let bodyLimit = 1 << 20

    /// One exchange with the CA's server (every URL the CA hands out lives on it: RFC 8555 does not require
    /// that, Let's Encrypt and pebble do; another host is refused rather than followed blindly).
    func exchange(_ url: String, method: HTTPMethod, contentType: String? = nil, body: [UInt8] = [],
                  _ done: @escaping (Result<HTTPClientResponse, ACMEError>) -> Void) {
        guard let target = Self.caURL(url) else { return done(.failure(.protocolViolation("not an https URL: \(url)"))) }
        let dir = settings.directory
        guard target.host == dir.host && target.port == dir.port else {
            return done(.failure(.protocolViolation("\(url) is not on the CA server \(dir.hostHeader)")))
        }
        var headers = [(name: "User-Agent", value: "stoep-acme"), ("Accept", "application/json, application/pem-certificate-chain"),
                       ("Accept-Language", "en")]
        if let contentType { headers.append(("Content-Type", contentType)) }
        let request = HTTPClientRequest(method, target: target.target, host: target.hostHeader, headers: headers, body: body)
        withAddress { [self] address in
            guard let address else { return done(.failure(.transport("cannot resolve \(dir.host)"))) }
            HTTPClientExchange.start(loop: loop, to: [.ip(address)], tls: (settings.trust, settings.serverName ?? dir.host), request: request,
                                     timeout: settings.requestTimeout, body: .whole(limit: Self.bodyLimit)) { [self] result in
                if case .success(let r) = result, let nonce = r.field("replay-nonce"), !nonce.isEmpty {
                    nonces.append(nonce)
                    if nonces.count > 8 { nonces.removeFirst() }
                }
                if case .failure = result { self.address = nil }  // resolve again next time (the CA may have moved)
                done(result.mapError { .transport("\($0)") })
            }
        }
    }

    private func withAddress(_ body: @escaping (SocketAddress?) -> Void) {
        if let address { return body(address) }
        let dir = settings.directory
        resolve(dir.host, dir.port) { [self] found in
            address = found
            body(found)
        }
    }

    /// The directory's URL for `resource` ("newNonce", "newAccount", "newOrder").
    func resource(_ name: String, _ done: @escaping (Result<String, ACMEError>) -> Void) {
        if let url = directory?[name]?.stringValue { return done(.success(url)) }
        if directory != nil { return done(.failure(.protocolViolation("the directory has no \(name)"))) }
        exchange(settings.directory.text, method: .get) { [self] result in
            switch result {
            case .failure(let e):
                done(.failure(e))
            case .success(let r):
                guard r.status == 200, let doc = try? JSONParser.parse(r.body), doc.objectValue != nil else {
                    return done(.failure(r.status == 200 ? .protocolViolation("the directory is not a JSON object") : ACMEError.problem(r)))
                }
                directory = doc
                resource(name, done)
            }
        }
    }

    /// The terms of service URL from the directory's meta, once fetched.
    var termsOfService: String? { directory?["meta"]?["termsOfService"]?.stringValue }

    private func nonce(_ done: @escaping (Result<String, ACMEError>) -> Void) {
        if !nonces.isEmpty { return done(.success(nonces.removeLast())) }
        resource("newNonce") { [self] result in
            switch result {
            case .failure(let e): done(.failure(e))
            case .success(let url):
                exchange(url, method: .head) { [self] r in
                    switch r {
                    case .failure(let e): done(.failure(e))
                    case .success:
                        guard !nonces.isEmpty else { return done(.failure(.protocolViolation("newNonce gave no Replay-Nonce"))) }
                        done(.success(nonces.removeLast()))
                    }
                }
            }
        }
    }

    /// A signed POST (`payload` nil = POST-as-GET). `badNonce` is retried with the fresh nonce its answer
    /// carries (RFC 8555 §6.5), up to ten times; any other error answer becomes the problem document's error.
    func post(_ url: String, payload: [UInt8]?, signer: ACMEJWS.Signer? = nil, attempt: Int = 1,
              _ done: @escaping (Result<HTTPClientResponse, ACMEError>) -> Void) {
        let who: ACMEJWS.Signer
        if let signer { who = signer } else if let accountURL { who = .kid(accountURL) } else {
            return done(.failure(.protocolViolation("no account to sign with")))
        }
        nonce { [self] n in
            switch n {
            case .failure(let e): return done(.failure(e))
            case .success(let nonce):
                guard let body = ACMEJWS.body(key: accountKey, signer: who, nonce: nonce, url: url, payload: payload) else {
                    return done(.failure(.protocolViolation("the account key cannot sign")))
                }
                exchange(url, method: .post, contentType: "application/jose+json", body: body) { [self] result in
                    switch result {
                    case .failure(let e): done(.failure(e))
                    case .success(let r) where r.status >= 400:
                        let problem = ACMEError.problem(r)
                        if problem.problemType == "badNonce" && attempt < 10 {
                            log.info("ACME: \(url): badNonce, retrying with the fresh nonce (attempt \(attempt + 1))")
                            return post(url, payload: payload, signer: signer, attempt: attempt + 1, done)
                        }
                        done(.failure(problem))
                    case .success(let r):
                        done(.success(r))
                    }
                }
            }
        }
    }

    // MARK: - Account

    /// Registers the account unless it is known; `onlyReturnExisting` first when a key is stored without its
    /// URL (an acme.json from elsewhere), so the same key never makes a second account.
    func ensureAccount(_ done: @escaping (ACMEError?) -> Void) {
        if accountURL != nil { return done(nil) }
        resource("newAccount") { [self] r in
            switch r {
            case .failure(let e): done(e)
            case .success(let url):
                var w = JSONWriter(reservingCapacity: 512)
                w.beginObject()
                w.field("termsOfServiceAgreed", true)
                if let email = settings.email, !email.isEmpty {
                    w.key("contact")
                    w.beginArray()
                    w.string("mailto:\(email)")
                    w.endArray()
                }
                if let eab = settings.externalAccountBinding {
                    guard let binding = ACMEJWS.externalAccountBinding(keyID: eab.keyID, macKey: eab.macKey, accountKey: accountKey, newAccountURL: url) else {
                        return done(.protocolViolation("eab.hmacEncoded is not base64url"))
                    }
                    w.key("externalAccountBinding")
                    w.raw(String(decoding: binding, as: UTF8.self))
                }
                w.endObject()
                post(url, payload: w.takeBytes(), signer: .jwk) { [self] result in
                    switch result {
                    case .failure(let e): done(e)
                    case .success(let answer):
                        guard let location = answer.field("location") else { return done(.protocolViolation("newAccount without Location")) }
                        accountURL = location
                        registrationBody = String(decoding: answer.body, as: UTF8.self)
                        log.info("ACME: account \(location) \(answer.status == 201 ? "registered" : "found") at \(settings.directory)")
                        accountChanged()
                        done(nil)
                    }
                }
            }
        }
    }

    /// The account URL is no longer known to the CA (a reset test CA, a deactivated account): forget it so
    /// the next order registers again.
    func forgetAccount() {
        accountURL = nil
        registrationBody = nil
    }

    // MARK: - Orders

    /// Orders a certificate for `names` with `certificateKey`, answering challenges with `solvers`.
    public func obtain(names: [String], certificateKey: PrivateKey, solvers: [ACMEChallengeSolver],
                       completion: @escaping (Result<ACMECertificate, ACMEError>) -> Void) {
        ensureAccount { [self] error in
            if let error { return completion(.failure(error)) }
            ACMEOrderRun(client: self, names: names, certificateKey: certificateKey, solvers: solvers) { [self] result in
                if case .failure(let e) = result, e.problemType == "accountDoesNotExist" || e.problemType == "unauthorized" && accountURL == nil {
                    forgetAccount()
                }
                completion(result)
            }.start()
        }
    }
}

/// An issued certificate: the PEM chain as the CA sent it (leaf first) and the key it was issued for.
public struct ACMECertificate: Sendable {
    public let names: [String]
    public let certificatePEM: [UInt8]
    public let keyPEM: [UInt8]
}
