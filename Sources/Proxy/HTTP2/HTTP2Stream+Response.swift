// The response side of a stream: what the session writes as HTTP/1.1 (the head the HeadRewriter made, then
// the body as the backend framed it, or chunked) becomes HEADERS and DATA. The head is read with the HTTP
// module's response parser; the fields go out lower-cased without the connection-specific ones (RFC 9113
// §8.2.2); a 1xx head becomes a HEADERS without END_STREAM; the body is unframed (a known length passed
// through, chunks decoded) into the stream's buffer, which nghttp2 reads for DATA frames as the windows allow.
import CNGHTTP2
import HTTP

enum ResponseState {
    case head
    case length(UInt64)
    case chunked
    /// Until the session ends the stream (a body framed by the backend's close, with no chunked coding).
    case untilEnd
    case done
}

extension HTTP2Stream {
    /// Takes up to all of `bytes` (body bytes only as far as `room` allows). The count taken, or -1 when the
    /// session wrote something that is not an HTTP/1.1 response (cannot happen: it writes what it parsed).
    func acceptResponse(_ bytes: UnsafeRawBufferPointer, room: Int) -> Int {
        var taken = 0
        var room = room
        while taken < bytes.count {
            let rest = UnsafeRawBufferPointer(rebasing: bytes[taken...])
            switch responseState {
            case .head:
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
            case .length(let left):
                let n = Int(min(UInt64(min(rest.count, room)), left))
                if n == 0 { return taken }
                body.append(contentsOf: UnsafeRawBufferPointer(rebasing: rest[0..<n]))
                taken += n
                room -= n
                responseState = left == UInt64(n) ? .done : .length(left - UInt64(n))
                if left == UInt64(n) { bodyEnded = true }
                bodyQueued()
            case .untilEnd:
                let n = min(rest.count, room)
                if n == 0 { return taken }
                body.append(contentsOf: UnsafeRawBufferPointer(rebasing: rest[0..<n]))
                taken += n
                room -= n
                bodyQueued()
            case .chunked:
                let n = min(rest.count, room)
                if n == 0 { return taken }
                chunkIn.append(contentsOf: UnsafeRawBufferPointer(rebasing: rest[0..<n]))
                taken += n
                room -= n
                if !unchunk() { return -1 }
                bodyQueued()
            case .done:
                return taken  // nothing may follow the response on a stream
            }
        }
        return taken
    }

    /// Moves the payload of `chunkIn` to `body`, dropping size lines and trailers. False on bad framing.
    private func unchunk() -> Bool {
        var at = 0
        defer {
            if at >= chunkIn.count { chunkIn.removeAll(keepingCapacity: true) } else if at > 0 { chunkIn.removeFirst(at) }
        }
        while true {
            let step: ChunkedDecoder.Step
            do {
                step = try chunkIn.withUnsafeBytes { try chunkDecoder.next(UnsafeRawBufferPointer(rebasing: $0[at...])) }
            } catch {
                return false
            }
            switch step {
            case .needMore: return true
            case .chunkHeader(let consumed, _), .chunkEnd(let consumed):
                at += consumed
            case .trailers(let consumed):
                // Field lines and the empty line that ends them ("\r\n" alone: no trailers).
                if consumed > 2 { trailers = Array(chunkIn[at..<at + consumed - 2]) }
                at += consumed
            case .payload(let remaining):
                let n = Int(min(UInt64(chunkIn.count - at), remaining))
                if n == 0 { return true }
                body.append(contentsOf: chunkIn[at..<at + n])
                chunkDecoder.payloadMoved(UInt64(n))
                at += n
            case .done:
                responseState = .done
                bodyEnded = true
                return true
            }
        }
    }

    /// Submits the trailer section as HEADERS with END_STREAM (gRPC's `grpc-status` lives there). False when
    /// it holds no field stoep can send (then the DATA carries END_STREAM).
    func submitTrailers() -> Bool {
        guard let s = nghttp2 else { return false }
        var fields: [(ArraySlice<UInt8>, ArraySlice<UInt8>)] = []
        var lineStart = 0
        while lineStart < trailers.count {
            var end = lineStart
            while end < trailers.count && trailers[end] != 0x0A { end += 1 }
            var line = trailers[lineStart..<end]
            if line.last == 0x0D { line = line.dropLast() }
            lineStart = end + 1
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else { continue }
            let name = line[..<colon]
            var value = line[(colon + 1)...]
            while let f = value.first, f == 0x20 || f == 0x09 { value = value.dropFirst() }
            while let l = value.last, l == 0x20 || l == 0x09 { value = value.dropLast() }
            if name.isEmpty || HTTP2Stream.isConnectionSpecific(name) { continue }
            fields.append((name, value))
        }
        guard !fields.isEmpty else { return false }
        var storage: [UInt8] = []
        var spans: [(Int, Int, Int, Int)] = []
        for (name, value) in fields {
            let at = storage.count
            for b in name { storage.append(b >= 0x41 && b <= 0x5A ? b | 0x20 : b) }
            storage.append(contentsOf: value)
            spans.append((at, name.count, at + name.count, value.count))
        }
        return storage.withUnsafeMutableBufferPointer { buf in
            let base = buf.baseAddress!
            var nva = spans.map { span in
                nghttp2_nv(name: base + span.0, value: base + span.2, namelen: span.1, valuelen: span.3,
                           flags: UInt8(NGHTTP2_NV_FLAG_NONE.rawValue))
            }
            return nghttp2_submit_trailer(s, id, &nva, nva.count) == 0
        }
    }

    /// The session is done with the stream: a body that ends with it ends here.
    func responseEndedBySession() {
        if case .untilEnd = responseState {
            responseState = .done
            bodyEnded = true
            bodyQueued()
        }
    }

    private func submitHead(_ head: HTTPResponseHead) {
        if head.isInformational {
            submit(status: head.status, fields: head.fields, in: responseHead, final: false, body: false)
            return
        }
        switch head.framing {
        case .none, .tunnel: responseState = .done
        case .contentLength(let n): responseState = n == 0 ? .done : .length(n)
        case .chunked: responseState = .chunked
        case .untilClose: responseState = .untilEnd
        }
        if case .done = responseState { bodyEnded = true }
        submit(status: head.status, fields: head.fields, in: responseHead, final: true, body: !bodyEnded)
    }

    /// A status and no fields, END_STREAM (answers made without a session).
    func submitBare(status: Int) {
        responseState = .done
        submit(status: status, fields: [], in: [], final: true, body: false)
    }

    /// HEADERS for `status` and `fields` (ranges into `bytes`), lower-cased, connection-specific ones left out.
    private func submit(status: Int, fields: [HTTPHeaderField], in bytes: [UInt8], final: Bool, body hasBody: Bool) {
        guard let s = nghttp2, !libraryClosed else { return }
        var storage: [UInt8] = Array(":status".utf8) + Array(String(status).utf8)
        var spans: [(Int, Int, Int, Int)] = [(0, 7, 7, storage.count - 7)]
        for f in fields {
            let name = bytes[f.name]
            if HTTP2Stream.isConnectionSpecific(name) { continue }
            let at = storage.count
            for b in name { storage.append(b >= 0x41 && b <= 0x5A ? b | 0x20 : b) }
            storage.append(contentsOf: bytes[f.value])
            spans.append((at, name.count, at + name.count, f.value.count))
        }
        storage.withUnsafeMutableBufferPointer { buf in
            let base = buf.baseAddress!
            var nva = spans.map { span in
                nghttp2_nv(name: base + span.0, value: base + span.2, namelen: span.1, valuelen: span.3,
                           flags: UInt8(NGHTTP2_NV_FLAG_NONE.rawValue))
            }
            if !final {
                nghttp2_submit_headers(s, UInt8(NGHTTP2_FLAG_NONE.rawValue), id, nil, &nva, nva.count, nil)
            } else if hasBody {
                var provider = nghttp2_data_provider(source: nghttp2_data_source(ptr: nil), read_callback: HTTP2Callbacks.readBody)
                nghttp2_submit_response(s, id, &nva, nva.count, &provider)
            } else {
                nghttp2_submit_response(s, id, &nva, nva.count, nil)
            }
        }
    }

    /// RFC 9113 §8.2.2: fields HTTP/2 does not carry.
    static func isConnectionSpecific(_ name: ArraySlice<UInt8>) -> Bool {
        let lowered = name.map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 }
        for n in connectionSpecific where n.elementsEqual(lowered) { return true }
        return false
    }

    static let connectionSpecific: [[UInt8]] = ["connection", "keep-alive", "proxy-connection", "transfer-encoding",
                                                "upgrade"].map { Array($0.utf8) }
}
