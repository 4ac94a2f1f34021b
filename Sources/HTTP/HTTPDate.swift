// IMF-fixdate (RFC 9110 §5.6.7), the Date format Go's server writes on every response it makes.

public enum HTTPDate {
    /// "Sun, 06 Nov 1994 08:49:37 GMT" for `seconds` since the Unix epoch (UTC). Pure arithmetic: no libc
    /// time zone state is touched.
    public static func imfFixdate(secondsSinceEpoch seconds: Int64) -> [UInt8] {
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = Int(seconds - days * 86_400)
        let (year, month, day) = civilDate(daysSinceEpoch: days)
        let weekday = Int(((days % 7) + 11) % 7)  // 1970-01-01 was a Thursday (index 4, Sunday = 0)
        let names: StaticString = "SunMonTueWedThuFriSat"
        let months: StaticString = "JanFebMarAprMayJunJulAugSepOctNovDec"
        var out: [UInt8] = []
        out.reserveCapacity(29)
        names.withUTF8Buffer { out.append(contentsOf: $0[(weekday * 3)..<(weekday * 3 + 3)]) }
        out.append(contentsOf: ", ".utf8)
        appendTwoDigits(day, to: &out)
        out.append(HTTPASCII.sp)
        months.withUTF8Buffer { out.append(contentsOf: $0[((month - 1) * 3)..<((month - 1) * 3 + 3)]) }
        out.append(HTTPASCII.sp)
        appendTwoDigits(year / 100 % 100, to: &out)
        appendTwoDigits(year % 100, to: &out)
        out.append(HTTPASCII.sp)
        appendTwoDigits(secondOfDay / 3600, to: &out)
        out.append(HTTPASCII.colon)
        appendTwoDigits(secondOfDay / 60 % 60, to: &out)
        out.append(HTTPASCII.colon)
        appendTwoDigits(secondOfDay % 60, to: &out)
        out.append(contentsOf: " GMT".utf8)
        return out
    }

    /// Seconds since the epoch of an IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT"); nil for anything else
    /// (the obsolete RFC 850 and asctime forms are not sent by the servers stoep's clients talk to).
    public static func parse(_ text: String) -> Int64? {
        let b = Array(text.utf8)
        guard b.count == 29, b[3] == 0x2C, b[4] == 0x20, b[7] == 0x20, b[11] == 0x20, b[16] == 0x20, b[19] == 0x3A, b[22] == 0x3A,
              text.hasSuffix(" GMT") else { return nil }
        func number(_ r: Range<Int>) -> Int64? {
            var v: Int64 = 0
            for c in b[r] { guard c >= 0x30 && c <= 0x39 else { return nil }; v = v * 10 + Int64(c - 0x30) }
            return v
        }
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        guard let day = number(5..<7), let year = number(12..<16), let hour = number(17..<19), let minute = number(20..<22),
              let second = number(23..<25), let m = months.firstIndex(of: String(decoding: b[8..<11], as: UTF8.self)),
              day >= 1, day <= 31, hour < 24, minute < 60, second < 61 else { return nil }
        return daysSinceEpoch(year: year, month: Int64(m + 1), day: day) * 86_400 + hour * 3600 + minute * 60 + second
    }

    /// Day count of a proleptic Gregorian date (Howard Hinnant's days_from_civil).
    static func daysSinceEpoch(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    private static func appendTwoDigits(_ n: Int, to out: inout [UInt8]) {
        let v = abs(n) % 100
        out.append(0x30 + UInt8(v / 10))
        out.append(0x30 + UInt8(v % 10))
    }

    /// Proleptic Gregorian date of a day count (Howard Hinnant's civil_from_days).
    static func civilDate(daysSinceEpoch: Int64) -> (year: Int, month: Int, day: Int) {
        let z = daysSinceEpoch + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yoe + era * 400 + (month <= 2 ? 1 : 0)
        return (Int(year), Int(month), Int(day))
    }
}
