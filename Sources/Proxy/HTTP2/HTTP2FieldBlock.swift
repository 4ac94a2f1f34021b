// A field section on its way into nghttp2 (a response's HEADERS to a client, a request's HEADERS to a
// backend, either side's trailers): names lower-cased as RFC 9113 §8.2 requires, values as given, all in
// one storage array; nghttp2 copies them during the submit call, so the block is built, submitted, gone.
import CNGHTTP2
import HTTP

struct HTTP2FieldBlock {
    private var storage: [UInt8] = []
    /// (name offset, name length, value offset, value length) into `storage`.
    private var spans: [(Int, Int, Int, Int)] = []

    init() {}

    var isEmpty: Bool { spans.isEmpty }

    /// Adds one field; the name is lower-cased.
    mutating func add<N: Collection<UInt8>, V: Collection<UInt8>>(_ name: N, _ value: V) {
        let at = storage.count
        for b in name { storage.append(HTTPASCII.lowercased(b)) }
        storage.append(contentsOf: value)
        spans.append((at, name.count, at + name.count, value.count))
    }

    mutating func add(_ name: StaticString, _ value: String) {
        name.withUTF8Buffer { add($0, Array(value.utf8)) }
    }

    /// Adds the field lines of an HTTP/1.1 section ("Name: value\r\n"…, a chunked body's trailers), values
    /// trimmed of OWS; lines without a colon and connection-specific fields (§8.2.2) are left out.
    mutating func addFieldLines(_ lines: [UInt8]) {
        var lineStart = 0
        while lineStart < lines.count {
            var end = lineStart
            while end < lines.count && lines[end] != HTTPASCII.lf { end += 1 }
            var line = lines[lineStart..<end]
            if line.last == HTTPASCII.cr { line = line.dropLast() }
            lineStart = end + 1
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else { continue }
            let name = line[..<colon]
            var value = line[(colon + 1)...]
            while let f = value.first, f == 0x20 || f == 0x09 { value = value.dropFirst() }
            while let l = value.last, l == 0x20 || l == 0x09 { value = value.dropLast() }
            if name.isEmpty || HTTP2FieldBlock.isConnectionSpecific(name) { continue }
            add(name, value)
        }
    }

    /// Calls `body` with nghttp2's view of the block (valid only during the call).
    func withNV<R>(_ body: (UnsafeMutablePointer<nghttp2_nv>?, Int) -> R) -> R {
        storage.withUnsafeBufferPointer { buf in
            let base = UnsafeMutablePointer(mutating: buf.baseAddress ?? UnsafePointer(bitPattern: 1)!)
            var nva = spans.map { span in
                nghttp2_nv(name: base + span.0, value: base + span.2, namelen: span.1, valuelen: span.3,
                           flags: UInt8(NGHTTP2_NV_FLAG_NONE.rawValue))
            }
            return nva.withUnsafeMutableBufferPointer { body($0.baseAddress, $0.count) }
        }
    }

    /// RFC 9113 §8.2.2: fields HTTP/2 does not carry (`te` is handled where requests are made).
    static func isConnectionSpecific<C: Collection<UInt8>>(_ name: C) -> Bool {
        for n in connectionSpecific where n.count == name.count
            && zip(n, name).allSatisfy({ $0 == HTTPASCII.lowercased($1) }) { return true }
        return false
    }

    static let connectionSpecific: [[UInt8]] = ["connection", "keep-alive", "proxy-connection", "transfer-encoding",
                                                "upgrade"].map { Array($0.utf8) }
}
