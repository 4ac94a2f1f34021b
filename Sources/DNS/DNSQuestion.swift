// The question section entry (RFC 1035 4.1.2) and the record class values we use.

public struct DNSQuestion: Hashable, Sendable {
    public var name: DNSName
    public var type: DNSRecordType
    public var recordClass: UInt16

    public static let classIN: UInt16 = 1
    public static let classANY: UInt16 = 255

    public init(name: DNSName, type: DNSRecordType, recordClass: UInt16 = DNSQuestion.classIN) {
        self.name = name
        self.type = type
        self.recordClass = recordClass
    }

    /// Parses one question at `offset`; returns it and the offset just past it.
    public static func parse(_ message: [UInt8], at offset: Int) throws(DNSWireError) -> (question: DNSQuestion, end: Int) {
        var storage: [UInt8] = []
        storage.reserveCapacity(32)
        return try parse(message, at: offset, nameStorage: &storage)
    }

    /// As `parse(_:at:)`, the name written into `nameStorage` (DNSName.parse(_:at:into:)).
    public static func parse(_ message: [UInt8], at offset: Int,
                             nameStorage: inout [UInt8]) throws(DNSWireError) -> (question: DNSQuestion, end: Int) {
        let (name, nameEnd) = try DNSName.parse(message, at: offset, into: &nameStorage)
        guard nameEnd + 4 <= message.count else { throw .truncated(offset: nameEnd) }
        let type = UInt16(message[nameEnd]) << 8 | UInt16(message[nameEnd + 1])
        let cls = UInt16(message[nameEnd + 2]) << 8 | UInt16(message[nameEnd + 3])
        return (DNSQuestion(name: name, type: DNSRecordType(rawValue: type), recordClass: cls), nameEnd + 4)
    }
}
