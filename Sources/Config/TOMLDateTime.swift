// TOML 1.0 dates and times (RFC 3339 with TOML's relaxations): offset date-time, local date-time,
// local date, local time. stoep keeps them as text, so this only checks shape and field ranges.

enum TOMLDateTime {
    /// Whether a token starts like a date (`dddd-`) or a time (`dd:`), so it must be validated as one.
    static func looksLikeDateTime(_ bytes: [UInt8]) -> Bool {
        if bytes.count >= 5, bytes[0..<4].allSatisfy(\.isDecimalDigit), bytes[4] == UInt8(ascii: "-") { return true }
        return bytes.count >= 3 && bytes[0..<2].allSatisfy(\.isDecimalDigit) && bytes[2] == UInt8(ascii: ":")
    }

    /// Checks `YYYY-MM-DD`, `HH:MM:SS[.frac]`, or a date, `T`/`t`/space, a time and an optional
    /// `Z`/`z`/`±HH:MM` offset.
    static func validate(_ bytes: [UInt8]) -> Result<Void, TOMLScalar.Problem> {
        let text = String(decoding: bytes, as: UTF8.self)
        let bad = TOMLScalar.Problem(
            message: "expected a date-time like 1979-05-27T07:32:00Z, a date like 1979-05-27 or a time like 07:32:00, found '\(text)'")
        var index = 0
        if bytes.count >= 5 && bytes[4] == UInt8(ascii: "-") {
            guard let date = fields(bytes, &index, count: 3, separator: UInt8(ascii: "-"), widths: [4, 2, 2]) else { return .failure(bad) }
            let (year, month, day) = (date[0], date[1], date[2])
            guard (1...12).contains(month), day >= 1, day <= daysIn(month: month, year: year) else {
                return .failure(TOMLScalar.Problem(message: "date '\(text)' does not exist; expected a valid month and day"))
            }
            if index == bytes.count { return .success(()) }
            guard [UInt8(ascii: "T"), UInt8(ascii: "t"), UInt8(ascii: " ")].contains(bytes[index]) else { return .failure(bad) }
            index += 1
        }
        guard let time = fields(bytes, &index, count: 3, separator: UInt8(ascii: ":"), widths: [2, 2, 2]) else { return .failure(bad) }
        guard time[0] < 24, time[1] < 60, time[2] <= 60 else {
            return .failure(TOMLScalar.Problem(message: "time in '\(text)' is out of range; expected hours 00-23, minutes and seconds 00-59"))
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            let start = index
            while index < bytes.count, bytes[index].isDecimalDigit { index += 1 }
            guard index > start else { return .failure(bad) }
        }
        if index == bytes.count { return .success(()) }
        let isDateTime = bytes.count >= 5 && bytes[4] == UInt8(ascii: "-")
        guard isDateTime else { return .failure(bad) }
        if (bytes[index] == UInt8(ascii: "Z") || bytes[index] == UInt8(ascii: "z")) && index + 1 == bytes.count { return .success(()) }
        guard bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") else { return .failure(bad) }
        index += 1
        guard let offset = fields(bytes, &index, count: 2, separator: UInt8(ascii: ":"), widths: [2, 2]),
              index == bytes.count, offset[0] < 24, offset[1] < 60 else { return .failure(bad) }
        return .success(())
    }

    /// Reads `count` fixed-width decimal fields joined by `separator`, advancing `index`.
    private static func fields(_ bytes: [UInt8], _ index: inout Int, count: Int, separator: UInt8, widths: [Int]) -> [Int]? {
        var values: [Int] = []
        for field in 0..<count {
            if field > 0 {
                guard index < bytes.count, bytes[index] == separator else { return nil }
                index += 1
            }
            guard index + widths[field] <= bytes.count else { return nil }
            var value = 0
            for byte in bytes[index..<(index + widths[field])] {
                guard byte.isDecimalDigit else { return nil }
                value = value * 10 + Int(byte - UInt8(ascii: "0"))
            }
            index += widths[field]
            values.append(value)
        }
        return values
    }

    private static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }
}
