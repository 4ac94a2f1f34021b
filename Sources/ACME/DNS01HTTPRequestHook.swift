// lego's `httpreq` provider (providers/dns/httpreq): POST HTTPREQ_ENDPOINT/present and …/cleanup with
//   {"fqdn":"_acme-challenge.DOMAIN.","value":"VALUE"}                 (default mode)
//   {"domain":"DOMAIN","token":"TOKEN","keyAuth":"KEYAUTH"}            (HTTPREQ_MODE=RAW)
// as JSON (Accept and Content-Type application/json; Go's encoder ends the body with a newline), Basic
// authentication when both HTTPREQ_USERNAME and HTTPREQ_PASSWORD are set (else from the URL's user info,
// as Go's client does), any 2xx status is success. Over HTTP or HTTPS (system roots), on the loop, each
// call bounded by HTTPREQ_HTTP_TIMEOUT (Go's http.Client.Timeout, 30 s): the endpoint's host looked up
// with DNSLookup (no blocking getaddrinfo) and its addresses tried in turn by one HTTPClientExchange.
import DNS
import HTTPClient
import JSON
import Reactor

final class DNS01HTTPRequestHook: DNS01Hook {
    let name = "httpreq"
    let endpoint: HTTPURL
    let raw: Bool
    let propagationTimeout: UInt64
    let pollingInterval: UInt64
    let httpTimeout: UInt64
    /// The Authorization header's value, when there are credentials.
    let authorization: String?
    private let tlsContext: TLSClientContext?
    private let loop: EventLoop

    static let known = ["HTTPREQ_ENDPOINT", "HTTPREQ_MODE", "HTTPREQ_USERNAME", "HTTPREQ_PASSWORD",
                        "HTTPREQ_PROPAGATION_TIMEOUT", "HTTPREQ_POLLING_INTERVAL", "HTTPREQ_HTTP_TIMEOUT"]

    init(environment: [String: String], loop: EventLoop, log: Logger) throws(DNS01Error) {
        var env = DNS01Environment(environment, prefix: "HTTPREQ_")
        guard let text = env.value("HTTPREQ_ENDPOINT"), !text.isEmpty else {
            throw DNS01Error("dnsChallenge provider httpreq: HTTPREQ_ENDPOINT is not set (the URL that serves /present and /cleanup)")
        }
        guard let url = HTTPURL(text), url.query == nil, url.fragment == nil else {
            throw DNS01Error("dnsChallenge provider httpreq: HTTPREQ_ENDPOINT=\(text) is not an http:// or https:// URL without query")
        }
        endpoint = url
        switch env.value("HTTPREQ_MODE") {
        case nil, "": raw = false
        case "RAW": raw = true
        case let other?:
            raw = false
            env.warn("HTTPREQ_MODE=\(other): lego knows only RAW; the default mode ({fqdn, value}) applies")
        }
        let user = env.value("HTTPREQ_USERNAME") ?? "", password = env.value("HTTPREQ_PASSWORD") ?? ""
        if user.isEmpty != password.isEmpty {
            env.warn("HTTPREQ_USERNAME and HTTPREQ_PASSWORD: only one is set; lego then sends neither, nor does stoep")
        }
        if !user.isEmpty && !password.isEmpty {
            authorization = "Basic " + DNS01Record.base64(Array("\(user):\(password)".utf8))
        } else if let info = url.userInfo {
            authorization = "Basic " + DNS01Record.base64(Array("\(info.user):\(info.password)".utf8))
        } else {
            authorization = nil
        }
        propagationTimeout = env.seconds("HTTPREQ_PROPAGATION_TIMEOUT", default: DNS01Defaults.propagationTimeout)
        pollingInterval = env.seconds("HTTPREQ_POLLING_INTERVAL", default: DNS01Defaults.pollingInterval)
        httpTimeout = env.seconds("HTTPREQ_HTTP_TIMEOUT", default: 30_000_000_000)
        env.check(known: Self.known, refused: [:])
        for w in env.warnings { log.warning("dns-01 httpreq: \(w)") }
        if url.tls {
            do {
                tlsContext = try TLSClientContext(verify: true)
            } catch {
                throw DNS01Error("dnsChallenge provider httpreq: \(error)")
            }
        } else {
            tlsContext = nil
        }
        self.loop = loop
    }

    /// The JSON body of a call (with Go's json.Encoder's final newline).
    func body(_ challenge: ACMEChallenge, fqdn: String? = nil) -> [UInt8] {
        var json = JSONWriter(reservingCapacity: 256)
        json.beginObject()
        if raw {
            json.key("domain"); json.string(challenge.domain)
            json.key("token"); json.string(challenge.token)
            json.key("keyAuth"); json.string(challenge.keyAuthorization)
        } else {
            json.key("fqdn"); json.string(fqdn ?? challenge.dnsRecordName)
            json.key("value"); json.string(challenge.dnsRecordValue)
        }
        json.endObject()
        return json.takeBytes() + [0x0A]
    }

    var headers: [(String, String)] {
        var h = [("User-Agent", "stoep"), ("Accept", "application/json"), ("Content-Type", "application/json")]
        if let authorization { h.append(("Authorization", authorization)) }
        return h
    }

    func run(_ action: DNS01Action, _ challenge: ACMEChallenge, fqdn: String, done: @escaping (String?) -> Void) {
        let target = endpoint.target(appending: "/" + action.rawValue)
        let request = HTTPClientRequest(.post, target: target, host: endpoint.hostHeader, headers: headers, body: body(challenge, fqdn: fqdn))
        let what = "POST \(endpoint.origin)\(target)"
        let (host, port, timeout, loop) = (endpoint.host, endpoint.port, httpTimeout, loop)
        let tls = tlsContext.map { (context: $0, serverName: host) }
        let began = monotonicNanos()
        // The lookup counts against the timeout, as it does in Go's client.
        DNSLookup.addresses(of: host, loop: loop) { found in
            let addresses: [IPAddress]
            switch found {
            case .success(let a): addresses = a
            case .failure(let error): return done("\(what): cannot look up \(host): \(error)")
            }
            let spent = monotonicNanos() - began
            guard spent < timeout else { return done("\(what): no answer within \(timeout / 1_000_000_000) s") }
            let to = addresses.compactMap { SocketAddress(host: $0.description, port: port).map(HTTPClientAddress.ip) }
            HTTPClientExchange.start(loop: loop, to: to, tls: tls, request: request, timeout: timeout - spent, body: .whole(limit: 64 << 10)) { result in
                switch result {
                case .success(let answer) where (200..<300).contains(answer.status):
                    done(nil)
                case .success(let answer):
                    let text = String(decoding: answer.body.prefix(300), as: UTF8.self).trimmingWhiteSpace
                    done("\(what) for \(challenge.domain): status \(answer.status)" + (text.isEmpty ? "" : ": \(text)"))
                case .failure(let error):
                    done("\(error)")
                }
            }
        }
    }
}
