// Domain names in uncompressed wire form (RFC 1035 3.1), always lowercase ASCII so that
// equality and hashing are the case-insensitive comparison DNS requires (RFC 4343) at
// memcmp speed. Parent domains are slices of the same storage: walking from a name to
// the root to find the most specific configured domain allocates nothing.

/// A domain name: length-prefixed labels ending with the root label (a zero byte).
public struct DNSName: Hashable, Sendable, CustomStringConvertible {
    /// Lowercase uncompressed wire form, root byte included. Never empty.
    public let wire: ArraySlice<UInt8>

    public static let maxWireLength = 255
    public static let maxLabelLength = 63
    /// No legitimate name needs more jumps; a bound keeps hostile chains cheap.
    public static let maxPointerJumps = 32
    public static let root = DNSName(trustedWire: [0])

    /// Caller guarantees `wire` is valid, lowercase and root-terminated.
    init(trustedWire: ArraySlice<UInt8>) { wire = trustedWire }

    /// Parses presentation text (`app.inethi.net`, trailing dot optional, `.` or empty = root).
    /// Accepts printable ASCII except whitespace, `/` and `\` (names come from configuration
    /// and hosts files, not zone files, so escapes are not needed). Lowercases.
    public init(text: String) throws(DNSWireError) {
        var body = Substring(text)
        if body.hasSuffix(".") { body = body.dropLast() }
        var out: [UInt8] = []
        out.reserveCapacity(body.utf8.count + 2)
        if !body.isEmpty {
            for label in body.split(separator: ".", omittingEmptySubsequences: false) {
                let bytes = label.utf8
                guard !bytes.isEmpty else { throw .invalidNameText(text, reason: "empty label") }
                guard bytes.count <= Self.maxLabelLength else {
                    throw .invalidNameText(text, reason: "label longer than 63 characters")
                }
                out.append(UInt8(bytes.count))
                for byte in bytes {
                    guard byte > 0x20, byte < 0x7F, byte != UInt8(ascii: "/"), byte != UInt8(ascii: "\\") else {
                        throw .invalidNameText(text, reason: "character not allowed in a name")
                    }
                    out.append(Self.lowercase(byte))
                }
            }
        }
        out.append(0)
        guard out.count <= Self.maxWireLength else { throw .invalidNameText(text, reason: "longer than 255 octets") }
        wire = out[...]
    }

    @inline(__always) static func lowercase(_ byte: UInt8) -> UInt8 {
        byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte
    }

    /// This name with `domain` after it (`nas` + `lan` = `nas.lan`); nil past 255 octets.
    public func appending(_ domain: DNSName) -> DNSName? {
        let count = wire.count - 1 + domain.wire.count
        guard count <= Self.maxWireLength else { return nil }
        return DNSName(trustedWire: (Array(wire.dropLast()) + Array(domain.wire))[...])
    }

    public static func == (a: DNSName, b: DNSName) -> Bool {
        guard a.wire.count == b.wire.count else { return false }
        return a.wire.withUnsafeBytes { x in b.wire.withUnsafeBytes { y in memcmpEqual(x, y) } }
    }

    public func hash(into hasher: inout Hasher) {
        wire.withUnsafeBytes { hasher.combine(bytes: $0) }
    }

    public var isRoot: Bool { wire.count == 1 }

    public var labelCount: Int {
        var count = 0
        var i = wire.startIndex
        while i < wire.endIndex, wire[i] != 0 {
            count += 1
            i += Int(wire[i]) + 1
        }
        return count
    }

    /// The name without its first label; nil for the root. Shares storage.
    public var parent: DNSName? {
        guard !isRoot else { return nil }
        let next = wire.startIndex + Int(wire[wire.startIndex]) + 1
        return DNSName(trustedWire: wire[next...])
    }

    /// True when `self` equals `domain` or lies under it, label-aligned (`x.d` is under `d`, `xd` is not).
    public func isSubdomain(of domain: DNSName) -> Bool {
        var candidate: DNSName? = self
        while let name = candidate, name.wire.count >= domain.wire.count {
            if name == domain { return true }
            candidate = name.parent
        }
        return false
    }

    /// Presentation form without the trailing dot (`.` for the root), as dnsmasq logs it.
    /// Dots and backslashes inside labels, and unprintable bytes, are escaped dig-style.
    public var description: String {
        guard !isRoot else { return "." }
        var text: [UInt8] = []
        text.reserveCapacity(wire.count)
        var i = wire.startIndex
        while i < wire.endIndex, wire[i] != 0 {
            if !text.isEmpty { text.append(UInt8(ascii: ".")) }
            let end = i + 1 + Int(wire[i])
            for byte in wire[(i + 1)..<min(end, wire.endIndex)] {
                if byte == UInt8(ascii: ".") || byte == UInt8(ascii: "\\") {
                    text.append(UInt8(ascii: "\\")); text.append(byte)
                } else if byte > 0x20 && byte < 0x7F {
                    text.append(byte)
                } else {
                    text.append(UInt8(ascii: "\\"))
                    text.append(contentsOf: String(1000 + Int(byte)).utf8.dropFirst())
                }
            }
            i = end
        }
        return String(decoding: text, as: UTF8.self)
    }

    /// True when every byte of every label is printable ASCII (dnsmasq refuses to log others).
    public var isPrintable: Bool {
        var i = wire.startIndex
        while i < wire.endIndex, wire[i] != 0 {
            let end = i + 1 + Int(wire[i])
            for byte in wire[(i + 1)..<min(end, wire.endIndex)] where byte < 0x20 || byte >= 0x7F { return false }
            i = end
        }
        return true
    }
}

@inline(__always) private func memcmpEqual(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
    guard a.count == b.count else { return false }
    for i in 0..<a.count where a[i] != b[i] { return false }
    return true
}
