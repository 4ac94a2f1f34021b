// The HTTP/1.1 request head parser (the proxy's first look at every client byte), with its contract checked:
// a complete head's ranges lie inside it, and the answer does not depend on how the bytes were split across
// reads (a prefix of a complete head is only ever incomplete). The routing view (path, query, host) is
// derived as the proxy derives it.
import HTTP
import Rules

enum HTTPRequestHeadFuzz {
    /// Small limits as well as the defaults, so the limit checks are reached by small inputs too.
    static let limits = [HTTPParseLimits(), HTTPParseLimits(maxHeadBytes: 256, maxLineBytes: 64, maxFieldCount: 4)]

    @Sendable static func run(_ bytes: [UInt8]) {
        for limit in limits {
            guard case .complete(let head, let length) = HTTPRequestHead.parse(bytes, limits: limit) else { continue }
            precondition(length <= bytes.count)
            let all = 0..<length
            for r in [head.method, head.target] + head.fields.flatMap({ [$0.name, $0.value, $0.line] }) {
                precondition(all.contains(r.lowerBound) || r.isEmpty && r.lowerBound <= length)
                precondition(r.upperBound <= length)
            }
            if let host = head.host { precondition(host.upperBound <= length) }
            // Split anywhere before the end: never an error, never a different head.
            let cut = length == 0 ? 0 : (bytes.count &* 31 &+ length) % length
            if case .complete = HTTPRequestHead.parse(bytes[0..<cut], limits: limit) {
                preconditionFailure("a prefix of a head parsed complete")
            }
            if case .error(let e) = HTTPRequestHead.parse(bytes[0..<cut], limits: limit) {
                preconditionFailure("a prefix of a complete head is an error: \(e)")
            }
            // What routing reads.
            let target = String(decoding: bytes[head.target], as: UTF8.self)
            let hostHeader = head.host.map { String(decoding: bytes[$0], as: UTF8.self) } ?? ""
            _ = RuleRequestValues(method: String(decoding: bytes[head.method], as: UTF8.self), target: target,
                                  hostHeader: hostHeader)
            _ = head.keepAlive
        }
    }
}
