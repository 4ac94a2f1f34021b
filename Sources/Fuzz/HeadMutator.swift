// A structure-aware mutator for HTTP/1.1 heads: the input is taken apart into its start line and field
// lines, and one edit is made at the level a request smuggler works at (a field duplicated, dropped, moved,
// a known framing field inserted, a line's bytes mutated, its line ending changed), then the head is put back
// together with its empty line. Flipping bytes alone rarely produces a second Content-Length or a
// Transfer-Encoding list; this does on every few runs.
enum HeadMutator {
    static let fields: [String] = [
        "Host: fuzz.lan", "Host: other.lan", "Content-Length: 5", "Content-Length: 0", "Content-Length: 5, 5",
        "Content-Length: +5", "Content-Length: 18446744073709551616", "Transfer-Encoding: chunked",
        "Transfer-Encoding: gzip, chunked", "Transfer-Encoding: chunked, identity", "Transfer-Encoding : chunked",
        "Connection: close", "Connection: keep-alive, Upgrade", "Upgrade: websocket", "Expect: 100-continue",
        "TE: trailers", "X-Forwarded-For: 10.0.0.1", "Cookie: a=b", "Trailer: X", " folded", "\tfolded",
        "Keep-Alive: timeout=5", "Proxy-Connection: keep-alive", "Content-Type: text/plain",
    ]
    static let startLines: [String] = [
        "GET / HTTP/1.1", "POST /upload?x=1 HTTP/1.1", "GET http://fuzz.lan/a%2Fb HTTP/1.1", "CONNECT fuzz.lan:443 HTTP/1.1",
        "OPTIONS * HTTP/1.1", "GET / HTTP/1.0", "HEAD /../x HTTP/1.1", "HTTP/1.1 200 OK", "HTTP/1.1 204 No Content",
        "HTTP/1.1 101 Switching Protocols", "HTTP/1.0 304 Not Modified", "HTTP/1.1 100 Continue",
    ]

    @Sendable static func mutate(_ input: [UInt8], _ seed: UInt64, _ maxSize: Int, _ bytes: ([UInt8]) -> [UInt8]) -> [UInt8] {
        var random = FuzzRandom(seed)
        // Lines up to the empty line; whatever follows (a body, a pipelined request) is kept as it is.
        var lines: [[UInt8]] = []
        var rest: [UInt8] = []
        var start = 0
        var i = 0
        while i < input.count {
            if input[i] == 10 {
                var line = Array(input[start..<i])
                if line.last == 13 { line.removeLast() }
                start = i + 1
                if line.isEmpty && !lines.isEmpty { rest = Array(input[start...]); break }
                lines.append(line)
            }
            i += 1
        }
        if start < input.count && rest.isEmpty && i >= input.count { lines.append(Array(input[start...])) }
        if lines.isEmpty { lines = [Array(startLines[random.below(startLines.count)].utf8)] }
        var ending: [UInt8] = [13, 10]
        switch random.below(9) {
        case 0: lines.insert(Array(fields[random.below(fields.count)].utf8), at: 1 + random.below(lines.count))
        case 1: if lines.count > 1 { lines.remove(at: 1 + random.below(lines.count - 1)) }
        case 2: if lines.count > 1 { let l = lines[1 + random.below(lines.count - 1)]; lines.insert(l, at: 1 + random.below(lines.count)) }
        case 3: if lines.count > 2 { lines.swapAt(1 + random.below(lines.count - 1), 1 + random.below(lines.count - 1)) }
        case 4: lines[0] = Array(startLines[random.below(startLines.count)].utf8)
        case 5: ending = random.below(2) == 0 ? [10] : [13]
        case 6: rest = bytes(rest)
        default:
            let at = random.below(lines.count)
            lines[at] = bytes(lines[at])
        }
        var out: [UInt8] = []
        for line in lines { out += line; out += ending }
        out += [13, 10]
        out += rest
        return Array(out.prefix(maxSize))
    }
}
