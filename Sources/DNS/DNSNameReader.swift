// Reading a possibly compressed name out of a message (RFC 1035 4.1.4).
// Loop protection: every pointer must target an offset strictly below the lowest offset
// read so far for this name (so each jump moves backwards and the walk must end), must not
// point into the 12-byte header, and the number of jumps is bounded.

extension DNSName {
    /// Parses the name starting at `offset` in `message`.
    /// Returns the name (lowercased) and the offset just past the name's bytes at its
    /// original position (after the first pointer if the name is compressed).
    /// `minimumPointerTarget` is 12 for whole messages (pointers into the header are invalid).
    public static func parse(_ message: [UInt8], at offset: Int,
                             minimumPointerTarget: Int = DNSHeader.size) throws(DNSWireError) -> (name: DNSName, end: Int) {
        var out: [UInt8] = []
        out.reserveCapacity(32)
        return try parse(message, at: offset, minimumPointerTarget: minimumPointerTarget, into: &out)
    }

    /// As `parse(_:at:minimumPointerTarget:)`, writing the name into `storage` (emptied first, its capacity
    /// kept): the name returned shares it. A caller that parses name after name into one buffer allocates
    /// only while the buffer grows — or when a previous name from it is still held (copy-on-write).
    public static func parse(_ message: [UInt8], at offset: Int, minimumPointerTarget: Int = DNSHeader.size,
                             into storage: inout [UInt8]) throws(DNSWireError) -> (name: DNSName, end: Int) {
        storage.removeAll(keepingCapacity: true)
        let end = try walk(message, at: offset, minimumPointerTarget: minimumPointerTarget, into: &storage, collect: true)
        return (DNSName(trustedWire: storage[...]), end)
    }

    /// Validates the name at `offset` exactly as `parse` does, without building it (no allocation).
    /// Returns the offset just past the name's bytes at its original position.
    public static func skip(_ message: [UInt8], at offset: Int,
                            minimumPointerTarget: Int = DNSHeader.size) throws(DNSWireError) -> Int {
        var unused: [UInt8] = []
        return try walk(message, at: offset, minimumPointerTarget: minimumPointerTarget, into: &unused, collect: false)
    }

    private static func walk(_ message: [UInt8], at offset: Int, minimumPointerTarget: Int,
                             into out: inout [UInt8], collect: Bool) throws(DNSWireError) -> Int {
        var length = 0
        var position = offset
        var lowestRead = offset
        var end: Int? = nil
        var jumps = 0
        while true {
            guard position >= 0, position < message.count else { throw .truncated(offset: position) }
            let labelLength = message[position]
            switch labelLength & 0xC0 {
            case 0x00:
                if labelLength == 0 {
                    if collect { out.append(0) }
                    return end ?? position + 1
                }
                let labelEnd = position + 1 + Int(labelLength)
                guard labelEnd <= message.count else { throw .truncated(offset: position) }
                // +1 for this length byte, +1 for the root byte still to come.
                length += 1 + Int(labelLength)
                guard length + 1 <= maxWireLength else { throw .nameTooLong(offset: offset) }
                if collect {
                    out.append(labelLength)
                    for i in (position + 1)..<labelEnd { out.append(lowercase(message[i])) }
                }
                position = labelEnd
            case 0xC0:
                guard position + 1 < message.count else { throw .truncated(offset: position) }
                let target = Int(labelLength & 0x3F) << 8 | Int(message[position + 1])
                guard target < lowestRead, target >= minimumPointerTarget else {
                    throw .badPointer(offset: position, target: target)
                }
                jumps += 1
                guard jumps <= maxPointerJumps else { throw .tooManyPointers(offset: offset) }
                if end == nil { end = position + 2 }
                lowestRead = target
                position = target
            default:
                // 0x40 (extended label types, RFC 6891 5) and 0x80 are not in use.
                throw .badLabel(offset: position)
            }
        }
    }
}
