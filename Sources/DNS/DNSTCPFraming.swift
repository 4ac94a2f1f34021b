// DNS over TCP frames every message with its length in two bytes, big-endian (RFC 1035 4.2.2, RFC 7766
// 8): the listener's sessions and the forwarder's TCP attempts read and write the same framing.

enum DNSTCPFraming {
    /// Appends `message` to `out` behind its length prefix. Messages are under 64 KiB (a longer one is
    /// never built: the size limits cap answers at 65,535 bytes).
    static func append(_ message: [UInt8], to out: inout [UInt8]) {
        out.append(UInt8(message.count >> 8))
        out.append(UInt8(message.count & 0xFF))
        out.append(contentsOf: message)
    }

    /// Where the message framed at `offset` of `buffer` sits, or nil while its bytes have not all arrived.
    static func message(in buffer: [UInt8], at offset: Int) -> Range<Int>? {
        guard buffer.count - offset >= 2 else { return nil }
        let length = Int(buffer[offset]) << 8 | Int(buffer[offset + 1])
        guard buffer.count - offset - 2 >= length else { return nil }
        return (offset + 2)..<(offset + 2 + length)
    }
}
