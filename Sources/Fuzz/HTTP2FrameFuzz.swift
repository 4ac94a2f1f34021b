// The HTTP/2 frame path of a client connection (nghttp2 with stoep's session options, then each request's
// fields built into an HTTP/1.1 head): the input is what a client sends after the connection preface, which
// is put in front so that byte flipping starts inside the frames. Every head built must parse as a request
// (or be refused with a status), never trap the parser that follows.
import HTTP
import Proxy

enum HTTP2FrameFuzz {
    static let preface = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)

    @Sendable static func run(_ bytes: [UInt8]) {
        guard let heads = HTTP2HeadReplay.heads(preface + bytes) else { return }
        for head in heads {
            if case .complete(_, let length) = HTTPRequestHead.parse(head) { precondition(length == head.count) }
        }
    }
}
