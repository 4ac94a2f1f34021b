// Traefik's `errors` middleware (pkg/middlewares/customerrors/custom_errors.go). Whatever answers the
// request after it — a later middleware, stoep's own 502/503/504, or the backend — is caught when its
// status is in `status`: that answer is dropped and a GET for the page (`query`, with {status},
// {originalStatus} and {url}) goes to `service`, one more exchange on the loop; the client gets the
// page's headers and body with the caught status (or its statusRewrites replacement), as Traefik's
// codeModifier writes it whatever status the page came with.
import Config

/// One errors middleware as a request carries it: the policy and the request URL it saw.
struct ErrorPageRequest {
    let policy: ErrorPagesMiddleware
    /// The escaped path and query at the middleware (for {url}).
    let path: String
    let query: String
}

final class ErrorPagesMiddleware: HTTPMiddleware {
    let name: String
    let config: TraefikErrorPage
    let service: HTTPService

    init(name: String, config: TraefikErrorPage, service: HTTPService) {
        self.name = name
        self.config = config
        self.service = service
    }

    func handle(_ request: RequestView, _ forward: inout ForwardedRequest, scheme: String) -> LocalResponse? {
        forward.errorPages.append(ErrorPageRequest(policy: self, path: forward.path, query: forward.query))
        return nil
    }

    func catches(_ status: Int) -> Bool { config.status.contains { $0.contains(status) } }

    /// The status the client gets for a caught `status`: the first statusRewrites entry that contains it.
    func rewritten(_ status: Int) -> Int { config.statusRewrites.first { $0.from.contains(status) }?.to ?? status }

    /// The page's request target: "/" + query without its leading "/", placeholders filled in.
    func target(status: Int, originalStatus: Int, url: String) -> String {
        guard !config.query.isEmpty else { return "/" }
        var q = "/" + (config.query.hasPrefix("/") ? String(config.query.dropFirst()) : config.query)
        q = q.replacingOccurrences("{status}", String(status))
        q = q.replacingOccurrences("{originalStatus}", String(originalStatus))
        q = q.replacingOccurrences("{url}", Self.queryEscape(url))
        return q
    }

    /// Go's url.QueryEscape: unreserved bytes stay, ' ' becomes '+', the rest %XX.
    static func queryEscape(_ s: String) -> String {
        let digits = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        for c in s.utf8 {
            switch c {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"):
                out.append(c)
            case UInt8(ascii: " "): out.append(UInt8(ascii: "+"))
            default: out += [UInt8(ascii: "%"), digits[Int(c >> 4)], digits[Int(c & 15)]]
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}

extension [ErrorPageRequest] {
    /// Which errors middleware answers a `status` produced inside all of them: the innermost catching it
    /// answers with its (rewritten) status, which the next one out sees, and so on; the outermost that
    /// caught anything serves its page. Returns it, the status it caught and the status it sends.
    func catching(_ status: Int) -> (page: ErrorPageRequest, original: Int, status: Int)? {
        var current = status
        var chosen: (ErrorPageRequest, Int, Int)?
        for page in reversed() where page.policy.catches(current) {
            let sent = page.policy.rewritten(current)
            chosen = (page, current, sent)
            current = sent
        }
        return chosen
    }
}

private extension String {
    func replacingOccurrences(_ target: String, _ replacement: String) -> String {
        split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
