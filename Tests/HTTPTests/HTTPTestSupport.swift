@testable import HTTP
import XCTest

/// Bytes of a string literal; "\r\n" written out so line endings are explicit in tables.
func httpBytes(_ s: String) -> [UInt8] { Array(s.utf8) }

func httpString(_ buffer: [UInt8], _ range: Range<Int>?) -> String? {
    guard let range else { return nil }
    return String(decoding: buffer[range], as: UTF8.self)
}

extension HTTPParseResult {
    var head: Head? {
        if case .complete(let head, _) = self { return head }
        return nil
    }
    var headLength: Int? {
        if case .complete(_, let length) = self { return length }
        return nil
    }
    var parseError: HTTPParseError? {
        if case .error(let e) = self { return e }
        return nil
    }
    var isIncomplete: Bool {
        if case .incomplete = self { return true }
        return false
    }
}
