// Builds response messages: header, echoed question, answer records with name compression
// (RFC 1035 4.1.4), and OPT. One growing byte array per response — or a buffer lent for reuse
// (`init(reusing:)`); the compression table is inline and reads the names from the message itself,
// so a writer allocates nothing once its buffer has the capacity.

public struct DNSMessageWriter {
    public private(set) var bytes: [UInt8]
    private var written = DNSCompressionTable()

    /// Pointers carry 14 bits of offset.
    static let maxPointerOffset = 0x3FFF

    public init(capacity: Int = 512) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    /// A writer over `buffer` (emptied; its capacity is kept and grown to `capacity` if smaller). The
    /// message is `bytes` when done: hand it back to the owner of the buffer to reuse.
    init(reusing buffer: consuming [UInt8], capacity: Int) {
        bytes = consume buffer  // not a copy: the storage must stay uniquely held to be written in place
        bytes.removeAll(keepingCapacity: true)
        bytes.reserveCapacity(capacity)
    }

    public var count: Int { bytes.count }

    public mutating func append(_ header: DNSHeader) { header.write(into: &bytes) }

    /// Appends the question exactly as the client sent it (`wire` is its original-case bytes, uncompressed)
    /// and remembers `name` (its lowercase form) and each of its parents at their offsets for compression.
    public mutating func appendQuestion(wire: ArraySlice<UInt8>, name: DNSName) {
        let start = bytes.count
        var current: DNSName? = name
        while let suffix = current, !suffix.isRoot {
            remember(suffix, at: start + (suffix.wire.startIndex - name.wire.startIndex))
            current = suffix.parent
        }
        bytes.append(contentsOf: wire)
    }

    /// Appends `name`, replacing its longest already-written suffix with a pointer.
    public mutating func appendName(_ name: DNSName) {
        var current: DNSName? = name
        while let suffix = current, !suffix.isRoot {
            if let offset = written.offset(of: suffix, in: bytes) {
                bytes.append(0xC0 | UInt8(offset >> 8)); bytes.append(UInt8(truncatingIfNeeded: offset))
                return
            }
            remember(suffix, at: bytes.count)
            let labelLength = Int(suffix.wire[suffix.wire.startIndex])
            bytes.append(contentsOf: suffix.wire[suffix.wire.startIndex..<(suffix.wire.startIndex + 1 + labelLength)])
            current = suffix.parent
        }
        bytes.append(0)
    }

    /// Appends an A or AAAA record for `owner`.
    public mutating func appendAddress(owner: DNSName, _ address: IPAddress, ttl: UInt32) {
        appendName(owner)
        switch address {
        case .v4(let a):
            appendFixed(type: .a, ttl: ttl, rdLength: 4)
            a.append(to: &bytes)
        case .v6(let a):
            appendFixed(type: .aaaa, ttl: ttl, rdLength: 16)
            a.append(to: &bytes)
        }
    }

    /// Appends a record whose RDATA is one (compressible, RFC 1035 3.3) name: CNAME, PTR, NS.
    public mutating func appendNameRecord(owner: DNSName, type: DNSRecordType, ttl: UInt32, target: DNSName) {
        appendName(owner)
        appendFixed(type: type, ttl: ttl, rdLength: 0)
        let lengthAt = bytes.count - 2
        appendName(target)
        let rdLength = bytes.count - lengthAt - 2
        bytes[lengthAt] = UInt8(rdLength >> 8)
        bytes[lengthAt + 1] = UInt8(truncatingIfNeeded: rdLength)
    }

    public mutating func appendOPT(_ edns: EDNS, extendedError: UInt16? = nil) {
        edns.write(into: &bytes, extendedError: extendedError)
    }

    /// Overwrites a 16-bit field (header counts) at `offset`.
    public mutating func setUInt16(_ value: UInt16, at offset: Int) {
        guard offset + 1 < bytes.count else { return }
        bytes[offset] = UInt8(value >> 8)
        bytes[offset + 1] = UInt8(truncatingIfNeeded: value)
    }

    /// Drops everything after `count` bytes (used to undo answers that did not fit).
    public mutating func truncate(to count: Int) {
        guard count < bytes.count else { return }
        bytes.removeSubrange(count...)
        written.forget(from: count)
    }

    private mutating func appendFixed(type: DNSRecordType, ttl: UInt32, rdLength: UInt16) {
        bytes.append(UInt8(type.rawValue >> 8)); bytes.append(UInt8(truncatingIfNeeded: type.rawValue))
        bytes.append(0); bytes.append(UInt8(DNSQuestion.classIN))
        bytes.append(UInt8(ttl >> 24)); bytes.append(UInt8(truncatingIfNeeded: ttl >> 16))
        bytes.append(UInt8(truncatingIfNeeded: ttl >> 8)); bytes.append(UInt8(truncatingIfNeeded: ttl))
        bytes.append(UInt8(rdLength >> 8)); bytes.append(UInt8(truncatingIfNeeded: rdLength))
    }

    private mutating func remember(_ name: DNSName, at offset: Int) {
        guard offset <= Self.maxPointerOffset, !written.isFull, !name.isRoot else { return }
        written.remember(name, at: offset)
    }
}
