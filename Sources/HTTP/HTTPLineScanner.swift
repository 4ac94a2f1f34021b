// Finds the CRLF-terminated lines of a message head in a byte buffer. Only CRLF ends a line: a bare LF or a bare
// CR is an error, not a line end, because parsers that disagree on them are what request smuggling exploits.

struct HTTPLineScanner {
    enum Line {
        /// Line content without its CRLF; the next line starts at `upperBound + 2`.
        case line(Range<Int>)
        case incomplete
        case error(HTTPParseError)
    }

    let p: UnsafeRawBufferPointer
    let limits: HTTPParseLimits

    /// The line starting at `start`. Contract: `.incomplete` only when no line end lies within `p`, and the
    /// limits are judged on the bytes at hand, so feeding the same bytes in pieces gives the same answer.
    func line(from start: Int) -> Line {
        // Scan at most maxLineBytes + 1 bytes (content plus the CR); written so that no limit can overflow.
        let available = p.count - start
        let longerThanLimit = limits.maxLineBytes < available
        let reach = longerThanLimit ? start + max(0, limits.maxLineBytes) + 1 : p.count
        var i = start
        while i < reach {
            let b = p[i]
            if b == HTTPASCII.lf { return .error(.bareLineEnding(offset: i)) }
            if b == HTTPASCII.cr {
                guard i + 1 < p.count else { return incomplete() }
                guard p[i + 1] == HTTPASCII.lf else { return .error(.bareLineEnding(offset: i)) }
                if i + 2 > limits.maxHeadBytes { return .error(.headTooLarge) }
                return .line(start..<i)
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
