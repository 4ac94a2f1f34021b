// Errors found while reading or writing DNS messages (RFC 1035, RFC 6891).
// Each case carries the byte offset where the problem was seen so that a logged
// rejection can be matched against a packet capture.

/// A malformed or unacceptable DNS message, or an unusable domain name text.
public enum DNSWireError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Fewer than the 12 header bytes: nothing can be answered (no ID to echo).
    case shortHeader(length: Int)
    /// QR=1: the packet is a response. Answering it would let spoofed packets bounce between servers.
    case notAQuery
    /// An opcode other than QUERY (0).
    case unsupportedOpcode(UInt8)
    /// QDCOUNT must be exactly 1 (RFC 9619).
    case questionCount(UInt16)
    /// A field runs past the end of the message.
    case truncated(offset: Int)
    /// A label longer than 63 octets (or a length byte with reserved top bits 01/10).
    case badLabel(offset: Int)
    /// A name longer than 255 octets in wire form.
    case nameTooLong(offset: Int)
    /// A compression pointer that does not point strictly before everything read so far, or into the header.
    case badPointer(offset: Int, target: Int)
    /// More compression jumps than any legitimate name needs.
    case tooManyPointers(offset: Int)
    /// The OPT record's fixed part or an option inside its RDATA runs past its end.
    case truncatedOPT(offset: Int)
    /// More than one OPT record (RFC 6891 6.1.1).
    case duplicateOPT(offset: Int)
    /// An OPT record whose owner is not the root name (RFC 6891 6.1.2).
    case optOwnerNotRoot(offset: Int)
    /// EDNS version above 0 (answered with BADVERS).
    case unsupportedEDNSVersion(UInt8)
    /// Bytes left after every section announced by the header was read.
    case trailingBytes(offset: Int, count: Int)
    /// A domain name given as text (configuration, hosts file) that cannot be a DNS name.
    case invalidNameText(String, reason: String)

    public var description: String {
        switch self {
        case .shortHeader(let length): return "message of \(length) bytes is shorter than the 12-byte header"
        case .notAQuery: return "message is a response (QR=1), not a query"
        case .unsupportedOpcode(let op): return "opcode \(op) is not QUERY"
        case .questionCount(let n): return "QDCOUNT is \(n), expected 1"
        case .truncated(let offset): return "message truncated at offset \(offset)"
        case .badLabel(let offset): return "invalid label length byte at offset \(offset)"
        case .nameTooLong(let offset): return "name starting at offset \(offset) exceeds 255 octets"
        case .badPointer(let offset, let target):
            return "compression pointer at offset \(offset) to \(target) does not point strictly backwards"
        case .tooManyPointers(let offset): return "too many compression pointers in name at offset \(offset)"
        case .truncatedOPT(let offset): return "OPT record at offset \(offset) is truncated"
        case .duplicateOPT(let offset): return "second OPT record at offset \(offset)"
        case .optOwnerNotRoot(let offset): return "OPT record at offset \(offset) is not owned by the root name"
        case .unsupportedEDNSVersion(let v): return "EDNS version \(v) is not supported"
        case .trailingBytes(let offset, let count): return "\(count) unexpected bytes after the message at offset \(offset)"
        case .invalidNameText(let text, let reason): return "invalid domain name '\(text)': \(reason)"
        }
    }
}
