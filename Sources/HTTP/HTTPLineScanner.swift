// Finds the lines of a message head in a byte buffer.
//
// Requests: only CRLF ends a line. A bare LF or a bare CR is an error, not a line end, because parsers that
// disagree on them are what request smuggling exploits.
//
// Responses from backends: a bare LF ends a line too (RFC 9112 §2.2 lets a recipient accept it), as Go's
// client — and so Traefik — accepts it anywhere in the head, mixed with CRLF, the empty line included
// (textproto's ReadLine elides "\n" or "\r\n"). busybox httpd's CGI answers, many embedded devices and
// shell-script CGIs send "HTTP/1.1 200 OK\r\nContent-Type: text/plain\n\nbody". A bare CR stays an error
// there too: Go never ends a line at one, and it refuses one in a field line or the empty line (Traefik
// answers 500); it lets one through only in the status line's reason phrase, which it does not forward —
// stoep refuses that as well (500), since a CR there can hide a field ("200 OK\rContent-Length: 4") from one
// parser and not another.

struct HTTPLineScanner {
    enum Line {
        /// Line content without its line end; the next line starts at `next` (content end + 2 for CRLF,
        /// + 1 for a bare LF).
        case line(Range<Int>, next: Int)
        case incomplete
        case error(HTTPParseError)
    }

    /// Which line ends the scanner accepts.
    enum LineEnds {
        /// CRLF only: requests from clients.
        case crlf
        /// CRLF or a bare LF: responses from backends.
        case crlfOrLF
    }

    let p: UnsafeRawBufferPointer
    let limits: HTTPParseLimits
    var lineEnds: LineEnds = .crlf

    /// The line starting at `start`. Contract: `.incomplete` only when no line end lies within `p`, and the
    /// limits are judged on the bytes at hand, so feeding the same bytes in pieces gives the same answer.
    func line(from start: Int) -> Line {
        // Scan at most maxLineBytes + 1 bytes (content plus the CR or LF); written so that no limit can overflow.
        let available = p.count - start
        let longerThanLimit = limits.maxLineBytes < available
        let reach = longerThanLimit ? start + max(0, limits.maxLineBytes) + 1 : p.count
        var i = start
        while i < reach {
            // Eight bytes at a time up to the first one below 0x0E (a line end, or a TAB and such to step over
            // below): most of a head is long runs of ordinary bytes.
            while i + 8 <= reach {
                let below = HTTPASCII.bytesBelow(0x0E, in: HTTPASCII.word(p, at: i))
                if below != 0 {
                    i += below.trailingZeroBitCount >> 3
                    break
                }
                i += 8
            }
            guard i < reach else { break }
            let b = p[i]
            // Both line-end bytes are below 0x0E: one compare skips the tests for every other byte.
            if b <= HTTPASCII.cr {
                if b == HTTPASCII.lf {
                    // A CR before it was taken below, so this LF is bare.
                    guard lineEnds == .crlfOrLF else { return .error(.bareLineEnding(offset: i)) }
                    if i + 1 > limits.maxHeadBytes { return .error(.headTooLarge) }
                    return .line(start..<i, next: i + 1)
                }
                if b == HTTPASCII.cr {
                    guard i + 1 < p.count else { return incomplete() }
                    guard p[i + 1] == HTTPASCII.lf else { return .error(.bareLineEnding(offset: i)) }
                    if i + 2 > limits.maxHeadBytes { return .error(.headTooLarge) }
                    return .line(start..<i, next: i + 2)
                }
            }
            i += 1
        }
        if longerThanLimit { return .error(.lineTooLong(offset: start)) }
        return incomplete()
    }

    /// Out of bytes: once the buffer already holds `maxHeadBytes`, the head's end can only lie beyond the limit.
    private func incomplete() -> Line {
        p.count >= limits.maxHeadBytes ? .error(.headTooLarge) : .incomplete
    }
}
