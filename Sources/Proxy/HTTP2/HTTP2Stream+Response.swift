// The response side of a stream: what the session writes as HTTP/1.1 (the head the HeadRewriter made, then
// the body as the backend framed it, or chunked) becomes HEADERS and DATA. The head is read with the HTTP
// module's response parser; the fields go out lower-cased without the connection-specific ones (RFC 9113
// §8.2.2); a 1xx head becomes a HEADERS without END_STREAM; the body is unframed (BodyUnframer: a known
// length passed through, chunks decoded, their trailer section kept) into the stream's outgoing body,
// which nghttp2 reads for DATA frames as the windows allow; trailers leave as a trailing HEADERS.
import CNGHTTP2
import HTTP

extension HTTP2Stream {
    /// Takes up to all of `bytes` (body bytes only as far as `room` allows). The count taken, or -1 when the
    /// session wrote something that is not an HTTP/1.1 response (cannot happen: it writes what it parsed).
    func acceptResponse(_ bytes: UnsafeRawBufferPointer, room: Int) -> Int {
        var taken = 0
        var room = room
        while taken < bytes.count {
            let rest = UnsafeRawBufferPointer(rebasing: bytes[taken...])
            if !responseHeadDone {
                let before = responseHead.count
                responseHead.append(contentsOf: rest)
                switch HTTPResponseHead.parse(responseHead, requestMethod: requestMethod, limits: HTTPSession.limits) {
                case .incomplete:
                    return bytes.count
                case .error:
                    return -1
                case .complete(let head, let length):
                    taken += length - before
                    submitHead(head)
                    responseHead = []
                }
                continue
            }
            let n = unframer.accept(rest, room: room, into: &out.bytes)
            if n < 0 { return -1 }
            taken += n
            room -= n
            if unframer.isDone && !out.ended {
                out.ended = true
                out.trailers = unframer.trailers
            }
            if n > 0 || out.ended { bodyQueued() }
            if n == 0 { return taken }  // no room, or nothing may follow the response on a stream
        }
        return taken
    }

    /// The session is done with the stream: a body that ends with it ends here.
    func responseEndedBySession() {
        guard responseHeadDone, !out.ended else { return }
        unframer.writerEnded()
        if unframer.isDone {
            out.ended = true
            bodyQueued()
        }
    }

    private func submitHead(_ head: HTTPResponseHead) {
        if head.isInformational {
            submit(status: head.status, fields: head.fields, in: responseHead, final: false, body: false)
            return
        }
        responseHeadDone = true
        unframer = BodyUnframer(head.framing)
        if unframer.isDone { out.ended = true }
        submit(status: head.status, fields: head.fields, in: responseHead, final: true, body: !out.ended)
    }

    /// A status and no fields, END_STREAM (answers made without a session).
    func submitBare(status: Int) {
        responseHeadDone = true
        out.ended = true
        submit(status: status, fields: [], in: [], final: true, body: false)
    }

    /// HEADERS for `status` and `fields` (ranges into `bytes`), lower-cased, connection-specific ones left out.
    private func submit(status: Int, fields: [HTTPHeaderField], in bytes: [UInt8], final: Bool, body hasBody: Bool) {
        guard let s = nghttp2, !libraryClosed else { return }
        var block = HTTP2FieldBlock()
        block.add(":status", String(status))
        for f in fields where !HTTP2FieldBlock.isConnectionSpecific(bytes[f.name]) {
            block.add(bytes[f.name], bytes[f.value])
        }
        block.withNV { nva, count in
            if !final {
                nghttp2_submit_headers(s, UInt8(NGHTTP2_FLAG_NONE.rawValue), id, nil, nva, count, nil)
            } else if hasBody {
                var provider = nghttp2_data_provider(source: nghttp2_data_source(ptr: nil), read_callback: HTTP2StreamEnd.readBody)
                nghttp2_submit_response(s, id, nva, count, &provider)
            } else {
                nghttp2_submit_response(s, id, nva, count, nil)
            }
        }
    }
}
