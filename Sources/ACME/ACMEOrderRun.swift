// One order, RFC 8555 §7.4 step by step: newOrder → each authorization (skip the valid ones; otherwise
// pick a challenge a solver answers, make the answer live, only then tell the CA to validate, poll the
// authorization, take the answer down) → finalize with a CSR → poll the order → download the chain.
// Polls honour Retry-After (seconds or an HTTP date), bounded by the client's order timeout.
import HTTP
import HTTPClient
import JSON
import PKI
import Reactor

final class ACMEOrderRun {
    private let client: ACMEClient
    private let names: [String]
    private let certificateKey: PrivateKey
    private let solvers: [ACMEChallengeSolver]
    private var completion: ((Result<ACMECertificate, ACMEError>) -> Void)?
    private var orderURL = ""
    private var finalizeURL = ""
    private var authorizations: [String] = []
    private var deadline: UInt64 = 0
    private var timer: Timer?
    /// Keeps this run alive while the loop holds only closures that capture it weakly... it holds itself.
    private var selfReference: ACMEOrderRun?

    init(client: ACMEClient, names: [String], certificateKey: PrivateKey, solvers: [ACMEChallengeSolver],
         completion: @escaping (Result<ACMECertificate, ACMEError>) -> Void) {
        self.client = client
        self.names = names
        self.certificateKey = certificateKey
        self.solvers = solvers
        self.completion = completion
    }

    private var log: Logger { client.log }
    private var loop: EventLoop { client.loop }

    func start() {
        selfReference = self
        deadline = loop.now &+ client.settings.orderTimeout
        client.resource("newOrder") { [self] r in
            switch r {
            case .failure(let e): finish(.failure(e))
            case .success(let url): newOrder(url)
            }
        }
    }

    private func newOrder(_ url: String) {
        var w = JSONWriter(reservingCapacity: 512)
        w.beginObject()
        w.key("identifiers")
        w.beginArray()
        for name in names {
            w.beginObject()
            w.field("type", IPText.isAddress(name) ? "ip" : "dns")
            w.field("value", name)
            w.endObject()
        }
        w.endArray()
        if let profile = client.settings.profile { w.field("profile", profile) }
        w.endObject()
        log.info("ACME: ordering a certificate for \(names.joined(separator: ", "))")
        client.post(url, payload: w.takeBytes()) { [self] r in
            switch r {
            case .failure(let e): finish(.failure(e))
            case .success(let answer):
                guard let location = answer.field("location"), let order = try? JSONParser.parse(answer.body),
                      let finalize = order["finalize"]?.stringValue, let auths = order["authorizations"]?.arrayValue else {
                    return finish(.failure(.protocolViolation("newOrder answer without Location, finalize or authorizations")))
                }
                orderURL = location
                finalizeURL = finalize
                authorizations = auths.compactMap(\.stringValue)
                if order["status"]?.stringValue == "ready" || order["status"]?.stringValue == "valid" {
                    authorizations = []
                }
                nextAuthorization()
            }
        }
    }

    // MARK: - Authorizations

    private func nextAuthorization() {
        guard !authorizations.isEmpty else { return finalize() }
        let url = authorizations.removeFirst()
        client.post(url, payload: nil) { [self] r in
            switch r {
            case .failure(let e): finish(.failure(e))
            case .success(let answer):
                guard let authz = try? JSONParser.parse(answer.body), let domain = authz["identifier"]?["value"]?.stringValue else {
                    return finish(.failure(.protocolViolation("authorization \(url) is not JSON with an identifier")))
                }
                switch authz["status"]?.stringValue {
                case "valid": return nextAuthorization()
                case "pending": solve(authz, domain: domain, url: url)
                default: finish(.failure(.challenge(domain: domain, reason: "authorization is \(authz["status"]?.stringValue ?? "?")")))
                }
            }
        }
    }

    private func solve(_ authz: JSONValue, domain: String, url: String) {
        let wildcard = authz["wildcard"]?.boolValue ?? false
        let offered = authz["challenges"]?.arrayValue ?? []
        // The first solver (in the resolver's order) whose kind the CA offers; wildcards only by DNS-01.
        for solver in solvers where !(wildcard && solver.kind != .dns01) {
            guard let c = offered.first(where: { $0["type"]?.stringValue == solver.kind.rawValue }),
                  let token = c["token"]?.stringValue, let challengeURL = c["url"]?.stringValue else { continue }
            let challenge = ACMEChallenge(kind: solver.kind, domain: domain, wildcard: wildcard, token: token,
                                          keyAuthorization: "\(token).\(client.accountKey.jwkThumbprint)", url: challengeURL)
            solver.present(challenge) { [self] failure in
                if let failure {
                    solver.cleanUp(challenge)
                    return finish(.failure(.challenge(domain: domain, reason: "\(solver.kind.rawValue) answer could not be made live: \(failure)")))
                }
                // The answer is live: now the CA may look (RFC 8555 §7.5.1: POST {} to the challenge).
                client.post(challengeURL, payload: Array("{}".utf8)) { [self] r in
                    if case .failure(let e) = r {
                        solver.cleanUp(challenge)
                        return finish(.failure(e))
                    }
                    pollAuthorization(url, domain: domain) { [self] error in
                        solver.cleanUp(challenge)
                        if let error { return finish(.failure(error)) }
                        log.info("ACME: \(domain) validated by \(solver.kind.rawValue)")
                        nextAuthorization()
                    }
                }
            }
            return
        }
        let kinds = offered.compactMap { $0["type"]?.stringValue }.joined(separator: ", ")
        finish(.failure(.challenge(domain: domain, reason: wildcard ? "a wildcard name needs the DNS-01 challenge (dnsChallenge)"
                                   : "no configured challenge among those the CA offers (\(kinds))")))
    }

    private func pollAuthorization(_ url: String, domain: String, _ done: @escaping (ACMEError?) -> Void) {
        client.post(url, payload: nil) { [self] r in
            switch r {
            case .failure(let e): done(e)
            case .success(let answer):
                let authz = try? JSONParser.parse(answer.body)
                switch authz?["status"]?.stringValue {
                case "valid": done(nil)
                case "pending", "processing":
                    later(answer) { [self] in pollAuthorization(url, domain: domain, done) } else: { done(.timeout("\(domain): the CA did not validate in time")) }
                default:
                    let failed = authz?["challenges"]?.arrayValue?.first { $0["error"] != nil }?["error"]
                    let reason = failed.map { "\($0["type"]?.stringValue ?? "") \($0["detail"]?.stringValue ?? "")" } ?? "authorization is \(authz?["status"]?.stringValue ?? "?")"
                    done(.challenge(domain: domain, reason: "the CA refused the challenge: \(reason)"))
                }
            }
        }
    }

    // MARK: - Finalize and download

    private func finalize() {
        guard let csr = CertificateRequest.der(names: names, key: certificateKey) else {
            return finish(.failure(.protocolViolation("cannot build a CSR for \(names.joined(separator: ", "))")))
        }
        var w = JSONWriter(reservingCapacity: 2048)
        w.beginObject()
        w.field("csr", Base64URL.encode(csr))
        w.endObject()
        client.post(finalizeURL, payload: w.takeBytes()) { [self] r in
            switch r {
            case .failure(let e): finish(.failure(e))
            case .success(let answer): orderState(answer)
            }
        }
    }

    private func orderState(_ answer: HTTPClientResponse) {
        let order = try? JSONParser.parse(answer.body)
        switch order?["status"]?.stringValue {
        case "valid":
            guard let url = order?["certificate"]?.stringValue else { return finish(.failure(.protocolViolation("valid order without certificate URL"))) }
            download(url)
        case "processing", "ready", "pending":
            later(answer) { [self] in
                client.post(orderURL, payload: nil) { [self] r in
                    switch r {
                    case .failure(let e): finish(.failure(e))
                    case .success(let next): orderState(next)
                    }
                }
            } else: { [self] in finish(.failure(.timeout("the certificate for \(names.joined(separator: ", ")) was not issued in time"))) }
        default:
            let detail = order?["error"]?["detail"]?.stringValue ?? "order is \(order?["status"]?.stringValue ?? "?")"
            finish(.failure(.problem(type: order?["error"]?["type"]?.stringValue ?? "orderInvalid", detail: detail, status: answer.status)))
        }
    }

    private func download(_ url: String) {
        client.post(url, payload: nil) { [self] r in
            switch r {
            case .failure(let e): finish(.failure(e))
            case .success(let answer):
                guard CertificateFacts(pem: answer.body) != nil else {
                    return finish(.failure(.protocolViolation("the certificate at \(url) is not a PEM chain")))
                }
                finish(.success(ACMECertificate(names: names, certificatePEM: answer.body, keyPEM: certificateKey.pem)))
            }
        }
    }

    // MARK: - Timing

    /// Runs `next` after the answer's Retry-After (1 s when absent, at most 60 s), or `expired` past the deadline.
    private func later(_ answer: HTTPClientResponse, _ next: @escaping () -> Void, else expired: @escaping () -> Void) {
        let wait = UInt64(min(60, max(1, RetryAfter.seconds(answer.field("retry-after")) ?? 1))) * 1_000_000_000
        guard loop.now &+ wait < deadline else { return expired() }
        let t = Timer { [weak self] _ in
            self?.timer = nil
            next()
        }
        timer = t
        loop.schedule(t, after: wait)
    }

    private func finish(_ result: Result<ACMECertificate, ACMEError>) {
        guard let completion else { return }
        self.completion = nil
        if let t = timer { loop.cancel(t) }
        timer = nil
        if case .failure(let e) = result { log.warning("ACME: order for \(names.joined(separator: ", ")) failed: \(e)") }
        completion(result)
        selfReference = nil
    }
}

/// Retry-After (RFC 9110 §10.2.3): delay-seconds, or an HTTP date.
enum RetryAfter {
    static func seconds(_ value: String?, now: Int64 = Int64(wallClockSeconds())) -> Int64? {
        guard let value = value?.trimmingSpaces, !value.isEmpty else { return nil }
        if let s = Int64(value) { return max(0, s) }
        guard let date = HTTPDate.parse(value) else { return nil }
        return max(0, date - now)
    }
}

/// Whether a name is an IP address (ordered as an "ip" identifier, RFC 8738).
enum IPText {
    static func isAddress(_ s: String) -> Bool {
        SocketAddress(host: s, port: 0) != nil && !s.isEmpty
    }
}

extension String {
    fileprivate var trimmingSpaces: String {
        var s = Substring(self)
        while s.first == " " { s.removeFirst() }
        while s.last == " " { s.removeLast() }
        return String(s)
    }
}
