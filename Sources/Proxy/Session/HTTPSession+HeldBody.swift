// `buffering`'s hold on a request body: oxy reads the whole body before the rest of the chain runs, so the
// backend sees it complete with a Content-Length (a chunked body de-chunked, its trailers dropped as Go's
// transport drops them without chunking) and a body past maxRequestBodyBytes never reaches it (413). The
// session parks the request here, reads the client into memory (chunk framing removed as it arrives),
// then puts the body back in front of `inbuf` as a known-length body and resumes the middlewares.
import HTTP
import Reactor

/// A request parked until its body is read whole.
struct HeldBody {
    var request: PendingRequest
    /// The body's bytes so far (de-chunked).
    var bytes: [UInt8] = []
    /// Set for a chunked body.
    var decoder: ChunkedDecoder?
    /// A known length still to read (Content-Length bodies).
    var lengthLeft: UInt64 = 0
    let limit: UInt64
}

extension HTTPSession {
    /// Parks `p` (just past `buffering`) until its body is complete; a body-less request goes straight on.
    func holdBody(_ p: PendingRequest) {
        var p = p
        p.forward.holdBody = false
        if let carried = p.carried {
            // A retry's next attempt: the body was read whole for the first one and goes again from there.
            p.forward.heldBodyLength = carried.heldBodyLength
            continueRequest(p)
            return
        }
        var held = HeldBody(request: p, limit: p.forward.maxRequestBody ?? .max)
        switch p.view.head.framing {
        case .chunked: held.decoder = ChunkedDecoder()
        case .contentLength(let n): held.lengthLeft = n
        default:
            continueRequest(p)
            return
        }
        // Go's server answers `Expect: 100-continue` itself when the handler (oxy) reads the body.
        if p.view.head.facts.expectsContinue && p.view.head.version.isAtLeast11 { clientOut += HTTPSession.continueResponse }
        heldBody = held
    }

    /// Reads on for the held request; true when something changed (the request went on or was answered),
    /// false to wait for the client.
    func collectHeldBody() -> Bool {
        guard var held = heldBody else { return true }
        heldBody = nil
        while true {
            // Take what `inbuf` has.
            if var d = held.decoder {
                var finished = false
                var tookAny = true
                while tookAny && !finished {
                    tookAny = false
                    let result = inbuf.withUnreadBytes { bytes in
                        Result { () throws(HTTPChunkedError) -> ChunkedDecoder.Step in try d.next(bytes) }
                    }
                    guard case .success(let step) = result else {
                        entryPoint.counters.badRequests &+= 1
                        respond(.goError(400, "400 Bad Request", closesConnection: true), close: true)
                        return true
                    }
                    switch step {
                    case .needMore: break
                    case .chunkHeader(let consumed, _), .chunkEnd(let consumed), .trailers(let consumed):
                        inbuf.consume(consumed)
                        tookAny = true
                    case .payload(let remaining):
                        let n = Int(min(remaining, UInt64(inbuf.count)))
                        if n > 0 {
                            held.bytes += inbuf.unread.prefix(n)
                            inbuf.consume(n)
                            d.payloadMoved(UInt64(n))
                            tookAny = true
                        }
                    case .done: finished = true
                    }
                    if UInt64(held.bytes.count) > held.limit {
                        respond(.requestEntityTooLarge, close: true)
                        return true
                    }
                }
                held.decoder = d
                if finished { break }
            } else {
                let n = Int(min(held.lengthLeft, UInt64(inbuf.count)))
                held.bytes += inbuf.unread.prefix(n)
                inbuf.consume(n)
                held.lengthLeft -= UInt64(n)
                if held.lengthLeft == 0 { break }
            }
            // Read more from the client.
            if clientEOF {
                close()
                return false
            }
            guard clientReadable else {
                heldBody = held
                return false
            }
            switch inbuf.read(from: client) {
            case .bytes:
                if inbuf.lastReadDrained { clientReadable = false }
            case .wouldBlock:
                clientReadable = false
                heldBody = held
                return false
            case .eof, .error:
                close()
                return false
            }
        }
        var p = held.request
        p.forward.heldBodyLength = UInt64(held.bytes.count)
        inbuf.prepend(held.bytes)
        continueRequest(p)
        return true
    }
}
