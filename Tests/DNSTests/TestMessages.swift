// Building queries and decoding responses for the tests, independently of the writer
// under test where that matters (queries are assembled byte by byte).
import XCTest
@testable import DNS

enum TestMessages {
    /// Wire form of `name` (no compression), original case kept.
    static func wireName(_ name: String) -> [UInt8] {
        var out: [UInt8] = []
        for label in name.split(separator: ".") {
            out.append(UInt8(label.utf8.count))
            out.append(contentsOf: label.utf8)
        }
        out.append(0)
        return out
    }

    static func u16(_ v: UInt16) -> [UInt8] { [UInt8(v >> 8), UInt8(v & 0xFF)] }

    struct OPT {
        var size: UInt16 = 1232
        var dnssecOK = false
        var version: UInt8 = 0
        var options: [UInt8] = []
        var bytes: [UInt8] {
            [0, 0, 41] + u16(size) + [0, version, dnssecOK ? 0x80 : 0, 0] + u16(UInt16(options.count)) + options
        }
    }

    /// A standard query: RD set unless `flags` says otherwise.
    static func query(_ name: String, type: DNSRecordType = .a, id: UInt16 = 0xBEEF, flags: UInt16 = 0x0100,
                      recordClass: UInt16 = 1, opt: OPT? = nil) -> [UInt8] {
        var out = u16(id) + u16(flags) + u16(1) + u16(0) + u16(0) + u16(opt == nil ? 0 : 1)
        out += wireName(name) + u16(type.rawValue) + u16(recordClass)
        if let opt { out += opt.bytes }
        return out
    }

    static func hex(_ text: String) -> [UInt8] {
        let digits = text.filter { $0.isHexDigit }
        var out: [UInt8] = []
        var index = digits.startIndex
        while index < digits.endIndex {
            let next = digits.index(index, offsetBy: 2)
            out.append(UInt8(digits[index..<next], radix: 16)!)
            index = next
        }
        return out
    }

    static func hexString(_ bytes: [UInt8]) -> String {
        bytes.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
    }
}

/// A response taken apart for assertions.
struct DecodedResponse {
    struct Record: Equatable {
        var name: String
        var type: DNSRecordType
        var ttl: UInt32
        var data: String
    }
    var header: DNSHeader
    var question: DNSQuestion?
    var answers: [Record] = []
    var opt: EDNS?
    var extendedError: UInt16?
    var size: Int

    var rcode: DNSResponseCode {
        DNSResponseCode(rawValue: UInt16(opt?.extendedRCode ?? 0) << 4 | UInt16(header.rcodeLow))
    }
    var addresses: [String] { answers.filter { $0.type == .a || $0.type == .aaaa }.map(\.data) }

    init(_ bytes: [UInt8], file: StaticString = #filePath, line: UInt = #line) throws {
        size = bytes.count
        header = try DNSHeader(parsing: bytes)
        var offset = DNSHeader.size
        if header.questionCount == 1 {
            let (q, end) = try DNSQuestion.parse(bytes, at: offset)
            question = q
            offset = end
        }
        func u16(_ i: Int) -> UInt16 { UInt16(bytes[i]) << 8 | UInt16(bytes[i + 1]) }
        for index in 0..<(Int(header.answerCount) + Int(header.additionalCount)) {
            let (name, nameEnd) = try DNSName.parse(bytes, at: offset)
            let type = DNSRecordType(rawValue: u16(nameEnd))
            if type == .opt {
                let (edns, end) = try EDNS.parse(bytes, at: offset)
                opt = edns
                if end - nameEnd - 10 >= 6, u16(nameEnd + 10) == 15 { extendedError = u16(nameEnd + 14) }
                offset = end
                continue
            }
            let ttl = UInt32(u16(nameEnd + 4)) << 16 | UInt32(u16(nameEnd + 6))
            let rdLength = Int(u16(nameEnd + 8))
            let rdStart = nameEnd + 10
            let data: String
            switch type {
            case .a: data = IPv4Address(UInt32(u16(rdStart)) << 16 | UInt32(u16(rdStart + 2))).description
            case .aaaa:
                var high: UInt64 = 0, low: UInt64 = 0
                for i in 0..<8 { high = high << 8 | UInt64(bytes[rdStart + i]) }
                for i in 8..<16 { low = low << 8 | UInt64(bytes[rdStart + i]) }
                data = IPv6Address(high: high, low: low).description
            default: data = try DNSName.parse(bytes, at: rdStart).name.description
            }
            if index < Int(header.answerCount) {
                answers.append(Record(name: name.description, type: type, ttl: ttl, data: data))
            }
            offset = rdStart + rdLength
        }
        XCTAssertEqual(offset, bytes.count, "response has trailing bytes", file: file, line: line)
    }
}

extension DNSDecision {
    var answerBytes: [UInt8]? { if case .answer(let b) = self { return b } else { return nil } }
    var isForward: Bool { if case .forward = self { return true } else { return false } }
    var dropReason: DNSWireError? { if case .drop(let r) = self { return r } else { return nil } }
}
