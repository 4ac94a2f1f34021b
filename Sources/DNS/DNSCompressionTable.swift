// The names a DNSMessageWriter has written, for compression (RFC 1035 4.1.4): where each remembered name
// starts in the message and how long its uncompressed wire form is. Fixed size and inline (no heap buffer:
// a writer per answer allocates nothing for it). The names themselves are not kept: the message holds them,
// and a candidate is compared by reading the message from the remembered offset, following the pointers
// the writer itself wrote (always backwards, to names already written).

struct DNSCompressionTable {
    /// Beyond this many remembered names, names are written uncompressed (still correct). The 32 of the
    /// inline arrays below.
    static let capacity = 32

    /// Message offsets (≤ 0x3FFF, pointers carry 14 bits) of the remembered names, oldest first.
    private var offsets = InlineArray<32, UInt16>(repeating: 0)
    /// Their wire lengths (≤ 255, DNSName.maxWireLength): most candidates differ here, before any byte is read.
    private var lengths = InlineArray<32, UInt8>(repeating: 0)
    private(set) var count = 0

    var isFull: Bool { count == Self.capacity }

    /// Remembers `name`, written at `offset` (the caller checks `isFull` and the pointer range).
    mutating func remember(_ name: DNSName, at offset: Int) {
        offsets[count] = UInt16(offset)
        lengths[count] = UInt8(name.wire.count)
        count += 1
    }

    /// The offset of the first remembered name equal to `name`, reading `message`; nil when there is none.
    func offset(of name: DNSName, in message: [UInt8]) -> Int? {
        for i in 0..<count where Int(lengths[i]) == name.wire.count {
            let offset = Int(offsets[i])
            if Self.name(at: offset, in: message, equals: name) { return offset }
        }
        return nil
    }

    /// Forgets the names at or after `end` (the message was cut there). Names are remembered in the order
    /// they are written, so those are the last ones.
    mutating func forget(from end: Int) {
        while count > 0, Int(offsets[count - 1]) >= end { count -= 1 }
    }

    /// True when the name written at `offset` in `message` is `name`. The question is written in the
    /// client's case, so labels compare lowercased (`name` is lowercase). Every read is bounds-checked,
    /// and the pointer walk is bounded, though the writer only ever points backwards at names it wrote.
    private static func name(at offset: Int, in message: [UInt8], equals name: DNSName) -> Bool {
        let wire = name.wire
        var position = offset
        var i = wire.startIndex
        var jumps = 0
        while position < message.count, i < wire.endIndex {
            let length = message[position]
            if length & 0xC0 == 0xC0 {
                guard position + 1 < message.count, jumps < DNSName.maxPointerJumps else { return false }
                jumps += 1
                position = Int(length & 0x3F) << 8 | Int(message[position + 1])
                continue
            }
            guard wire[i] == length else { return false }
            if length == 0 { return true }
            let end = position + 1 + Int(length)
            guard end <= message.count, i + Int(length) < wire.endIndex else { return false }
            for k in 1...Int(length) where DNSName.lowercase(message[position + k]) != wire[i + k] { return false }
            position = end
            i += 1 + Int(length)
        }
        return false
    }
}
