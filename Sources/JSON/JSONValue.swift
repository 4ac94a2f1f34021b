// JSONValue: a parsed JSON document as a tree. Objects keep their members in document order (the stats CLI
// prints them in the order the server wrote them, and duplicate keys survive parsing untouched).
//
// Numbers: integer literals that fit in Int64 stay exact as `.int` (byte counters, Docker sizes); every other
// number is a `.double`. Use `doubleValue` when either is acceptable.

public struct JSONMember: Equatable, Sendable {
    public var key: String
    public var value: JSONValue

    public init(_ key: String, _ value: JSONValue) {
        self.key = key
        self.value = value
    }
}

public enum JSONValue: Equatable, Sendable {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object([JSONMember])

    /// The value of member `key` of an object (the last one if the key repeats, as JavaScript does);
    /// nil for a missing key or when this is not an object.
    public subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members.last(where: { $0.key == key })?.value
    }

    /// Element `index` of an array; nil when out of range or when this is not an array.
    public subscript(index: Int) -> JSONValue? {
        guard case .array(let elements) = self, elements.indices.contains(index) else { return nil }
        return elements[index]
    }

    public var stringValue: String? {
        if case .string(let text) = self { return text }
        return nil
    }

    public var boolValue: Bool? {
        if case .bool(let flag) = self { return flag }
        return nil
    }

    /// Exact integers; a `.double` only when it is integral and in range.
    public var int64Value: Int64? {
        switch self {
        case .int(let number): return number
        case .double(let number):
            guard number.isFinite, number == number.rounded(.towardZero),
                  number >= -9.223372036854775808e18, number < 9.223372036854775808e18 else { return nil }
            return Int64(number)
        default: return nil
        }
    }

    public var doubleValue: Double? {
        switch self {
        case .int(let number): return Double(number)
        case .double(let number): return number
        default: return nil
        }
    }

    public var arrayValue: [JSONValue]? {
        if case .array(let elements) = self { return elements }
        return nil
    }

    public var objectValue: [JSONMember]? {
        if case .object(let members) = self { return members }
        return nil
    }

    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    /// Serialises this value compactly (the inverse of `JSONParser.parse`, up to number formatting).
    public func write(into writer: inout JSONWriter) {
        switch self {
        case .null: writer.null()
        case .bool(let flag): writer.bool(flag)
        case .int(let number): writer.int64(number)
        case .double(let number): writer.double(number)
        case .string(let text): writer.string(text)
        case .array(let elements):
            writer.beginArray()
            for element in elements { element.write(into: &writer) }
            writer.endArray()
        case .object(let members):
            writer.beginObject()
            for member in members {
                writer.key(member.key)
                member.value.write(into: &writer)
            }
            writer.endObject()
        }
    }

    /// The compact JSON text of this value.
    public var jsonText: String {
        var writer = JSONWriter(reservingCapacity: 256)
        write(into: &writer)
        return String(decoding: writer.bytes, as: UTF8.self)
    }
}
