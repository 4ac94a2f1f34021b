// The HTTP/1.1 response head parser (every backend's answer, and the Docker daemon's and ACME servers'), for
// each request method whose framing differs (HEAD: no body; CONNECT: a tunnel; GET: the usual rules).
import HTTP

enum HTTPResponseHeadFuzz {
    @Sendable static func run(_ bytes: [UInt8]) {
        for method in [HTTPMethod.get, .head, .connect] {
            guard case .complete(let head, let length) = HTTPResponseHead.parse(bytes, requestMethod: method) else { continue }
            precondition(length <= bytes.count)
            for f in head.fields { precondition(f.line.upperBound <= length && f.value.upperBound <= length) }
            precondition((0...999).contains(head.status))
            let cut = length == 0 ? 0 : (bytes.count &* 31 &+ length) % length
            switch HTTPResponseHead.parse(bytes[0..<cut], requestMethod: method) {
            case .incomplete: break
            case .complete: preconditionFailure("a prefix of a response head parsed complete")
            case .error(let e): preconditionFailure("a prefix of a complete response head is an error: \(e)")
            }
        }
    }
}
