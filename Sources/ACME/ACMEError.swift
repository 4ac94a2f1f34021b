// Why an ACME step failed: the connection, the CA's problem document (RFC 8555 §6.7, RFC 7807: its
// `type` and `detail` are what the log and `show info` report), an answer the client cannot read, or a
// challenge that could not be made live.
import JSON
import HTTPClient

public enum ACMEError: Error, Sendable, CustomStringConvertible, Equatable {
    case transport(String)
    /// The CA answered with a problem document; `status` is the HTTP status.
    case problem(type: String, detail: String, status: Int)
    /// An answer that breaks RFC 8555 (no Location, no nonce, bad JSON…).
    case protocolViolation(String)
    /// A solver could not make the answer for `domain` live, or the CA found it wrong.
    case challenge(domain: String, reason: String)
    /// Waited longer than the configured timeout for an order, authorization or certificate.
    case timeout(String)

    public var description: String {
        switch self {
        case .transport(let s): return s
        case .problem(let type, let detail, let status): return "\(status) \(type): \(detail)"
        case .protocolViolation(let s): return "unexpected answer from the CA: \(s)"
        case .challenge(let domain, let reason): return "\(domain): \(reason)"
        case .timeout(let s): return "timed out: \(s)"
        }
    }

    /// The problem type without its namespace ("badNonce", "rateLimited"), nil for other errors.
    public var problemType: String? {
        guard case .problem(let type, _, _) = self else { return nil }
        return type.hasPrefix("urn:ietf:params:acme:error:") ? String(type.dropFirst("urn:ietf:params:acme:error:".count)) : type
    }

    /// A problem document read from an error answer; nil when the body is not one.
    static func problem(_ response: HTTPClientResponse) -> ACMEError {
        if let doc = try? JSONParser.parse(response.body), let type = doc["type"]?.stringValue {
            var detail = doc["detail"]?.stringValue ?? ""
            for sub in doc["subproblems"]?.arrayValue ?? [] {
                let name = sub["identifier"]?["value"]?.stringValue ?? "?"
                detail += "; \(name): \(sub["detail"]?.stringValue ?? sub["type"]?.stringValue ?? "")"
            }
            return .problem(type: type, detail: detail, status: response.status)
        }
        let text = String(decoding: response.body.prefix(200), as: UTF8.self)
        return .protocolViolation("HTTP \(response.status) without a problem document: \(text)")
    }
}
