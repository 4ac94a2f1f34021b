// An incremental HTTP/1.1 response decoder for the Docker Engine API: the head (status and the two
// headers that frame the body), then the body as it arrives — chunked (what `/events` streams, one JSON
// object per chunk or line), by Content-Length, or until the connection closes. Bytes in, body pieces out;
// no socket here, so it is tested on its own.

public struct DockerResponseError: Error, Sendable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

public struct DockerResponseDecoder {
    /// A head larger than this is not the Docker API.
    static let maxHead = 64 << 10

    public private(set) var status: Int?
    /// True once the whole body arrived (chunked end or Content-Length reached).
    public private(set) var complete = false
    private var head: [UInt8] = []
    private var framing = Framing.untilClose
    private var chunkState = ChunkState.size
    private var sizeLine: [UInt8] = []
    private var remaining = 0

    enum Framing { case chunked, length, untilClose }
    enum ChunkState { case size, data, dataEnd, trailer }

    public init() {}

    /// Feeds received bytes; returns the body bytes they carry. Throws on a malformed head or chunk.
    public mutating func feed(_ bytes: ArraySlice<UInt8>) throws(DockerResponseError) -> [UInt8] {
        var input = bytes
        if status == nil {
            head += input
            guard let end = Self.headEnd(head) else {
                if head.count > Self.maxHead { throw DockerResponseError("response head too large") }
                return []
            }
            input = head[end...]
            try parseHead(head[..<end])
            head = []
        }
        return try body(input)
    }

    /// The connection closed: complete for an until-close body; an error when a framed body is cut short.
    public mutating func finish() throws(DockerResponseError) {
        if complete { return }
        if status != nil && framing == .untilClose { complete = true; return }
        throw DockerResponseError(status == nil ? "connection closed before the response head" : "connection closed mid-body")
    }

    private static func headEnd(_ b: [UInt8]) -> Int? {
        guard b.count >= 4 else { return nil }
        for i in 0...(b.count - 4) where b[i] == 13 && b[i + 1] == 10 && b[i + 2] == 13 && b[i + 3] == 10 { return i + 4 }
        return nil
    }

    private mutating func parseHead(_ bytes: ArraySlice<UInt8>) throws(DockerResponseError) {
        let lines = bytes.split(separator: 10).map { String(decoding: $0.last == 13 ? $0.dropLast() : $0, as: UTF8.self) }
        guard let first = lines.first, first.hasPrefix("HTTP/1."), first.count >= 12,
              let code = Int(first.dropFirst(9).prefix(3)) else {
            throw DockerResponseError("not an HTTP response: \(lines.first ?? "")")
        }
        status = code
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].lowercased()
            let value = line[line.index(after: colon)...].trimmingSpaces
            if name == "transfer-encoding" && value.lowercased().contains("chunked") {
                framing = .chunked
            } else if name == "content-length", framing != .chunked {
                guard let n = Int(value), n >= 0 else { throw DockerResponseError("bad Content-Length \(value)") }
                framing = .length
                remaining = n
            }
        }
        if framing == .length && remaining == 0 { complete = true }
        if code == 204 || code == 304 { complete = true }
    }

    private mutating func body(_ input: ArraySlice<UInt8>) throws(DockerResponseError) -> [UInt8] {
        if complete { return [] }
        switch framing {
        case .untilClose: return Array(input)
        case .length:
            let take = min(remaining, input.count)
            remaining -= take
            if remaining == 0 { complete = true }
            return Array(input.prefix(take))
        case .chunked: return try chunks(input)
        }
    }

    private mutating func chunks(_ input: ArraySlice<UInt8>) throws(DockerResponseError) -> [UInt8] {
        var out: [UInt8] = []
        var i = input.startIndex
        while i < input.endIndex && !complete {
            switch chunkState {
            case .size, .trailer, .dataEnd:
                let b = input[i]
                i += 1
                if b != 10 {
                    sizeLine.append(b)
                    if sizeLine.count > 1024 { throw DockerResponseError("chunk size line too long") }
                    continue
                }
                let line = sizeLine.last == 13 ? Array(sizeLine.dropLast()) : sizeLine
                sizeLine = []
                switch chunkState {
                case .dataEnd:
                    guard line.isEmpty else { throw DockerResponseError("chunk not followed by CRLF") }
                    chunkState = .size
                case .trailer:
                    if line.isEmpty { complete = true }
                default:
                    let hex = String(decoding: line.prefix { $0 != 59 }, as: UTF8.self).trimmingSpacesString
                    guard let n = Int(hex, radix: 16), n >= 0 else { throw DockerResponseError("bad chunk size \"\(hex)\"") }
                    if n == 0 { chunkState = .trailer } else { remaining = n; chunkState = .data }
                }
            case .data:
                let take = min(remaining, input.endIndex - i)
                out += input[i..<(i + take)]
                i += take
                remaining -= take
                if remaining == 0 { chunkState = .dataEnd }
            }
        }
        return out
    }
}

extension String {
    var trimmingSpacesString: String { String(Substring(self).trimmingSpaces) }
}
