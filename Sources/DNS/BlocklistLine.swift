// One line of a blocklist or allowlist file, in the three forms communities download:
//   hosts format     `0.0.0.0 ads.example.com [more names]`  (any address; the names, exactly — Pi-hole's gravity)
//   plain domains    `ads.example.com`                        (the name exactly — Pi-hole's gravity)
//   AdGuard/ABP      `||example.com^`                         (the name and every name below it — AdGuard Home)
//                    `@@||example.com^`                       (an exception: never blocked, with its subdomains)
// Comments (`#` at the start or after whitespace, `!` at the start) and `[Adblock Plus 2.0]` headers are
// skipped. AdGuard rules with modifiers (`$important`, `$client=…`), wildcards, regular expressions or
// anything else stoep does not implement are not guessed at: the line is skipped and counted, and the
// count (with the first few lines) is logged, so a list written for another tool is never half-applied
// silently. A hosts list's own `localhost`-style entries are never blocked.
//
// Lines are read as bytes (a million-line list is parsed between loop turns; no String per line).

enum BlocklistLine: Equatable {
    /// Names to match exactly (a plain line, or a hosts line with its aliases): byte ranges of the line.
    case names([Range<Int>])
    /// A domain matched with every name below it (`||d^`).
    case domain(Range<Int>)
    /// `@@||d^`: an exception, matched with every name below it.
    case exceptDomain(Range<Int>)
    case comment
    /// Not a form stoep implements (the reason is logged with the line).
    case unsupported(String)

    /// Names in hosts files that describe the machine itself, not an advertiser (the first lines of most
    /// hosts-format blocklists).
    static let hostsOwnNames: Set<[UInt8]> = Set([
        "localhost", "localhost.localdomain", "local", "broadcasthost", "ip6-localhost", "ip6-loopback",
        "ip6-localnet", "ip6-mcastprefix", "ip6-allnodes", "ip6-allrouters", "ip6-allhosts", "0.0.0.0",
    ].map { Array($0.utf8) })

    private static let space = UInt8(ascii: " "), tab = UInt8(ascii: "\t"), cr = UInt8(ascii: "\r")

    static func parse(_ line: UnsafeRawBufferPointer) -> BlocklistLine {
        var start = 0, end = line.count
        while end > start, line[end - 1] == space || line[end - 1] == tab || line[end - 1] == cr { end -= 1 }
        while start < end, line[start] == space || line[start] == tab { start += 1 }
        guard start < end else { return .comment }
        let first = line[start]
        if first == UInt8(ascii: "#") || first == UInt8(ascii: "!") || first == UInt8(ascii: "[") { return .comment }
        if hasPrefix(line, start, end, "@@||") { return adguard(line, start + 4, end, exception: true) }
        if hasPrefix(line, start, end, "||") { return adguard(line, start + 2, end, exception: false) }
        // Fields; a comment after whitespace ends the line (`0.0.0.0 ads.example # tracker`).
        var fields: [Range<Int>] = []
        var i = start
        while i < end {
            while i < end, line[i] == space || line[i] == tab { i += 1 }
            guard i < end else { break }
            if line[i] == UInt8(ascii: "#") { break }
            let s = i
            while i < end, line[i] != space && line[i] != tab { i += 1 }
            fields.append(s..<i)
        }
        let isAddress = looksLikeAddress(line, fields[0])
        if fields.count == 1 {
            return isAddress ? .unsupported("an address without a name") : .names(fields)
        }
        guard isAddress else { return .unsupported("expected `address name…`, a domain name or `||domain^`") }
        let names = fields.dropFirst().filter { !isHostsOwnName(line, $0) }
        return names.isEmpty ? .comment : .names(Array(names))
    }

    /// One of `hostsOwnNames` (checked without a copy for the usual case, a name that cannot be one).
    private static func isHostsOwnName(_ line: UnsafeRawBufferPointer, _ r: Range<Int>) -> Bool {
        guard r.count <= 21 else { return false }
        let first = line[r.lowerBound]
        guard first == UInt8(ascii: "l") || first == UInt8(ascii: "b") || first == UInt8(ascii: "i")
            || first == UInt8(ascii: "0") else { return false }
        return hostsOwnNames.contains(Array(UnsafeRawBufferPointer(rebasing: line[r])))
    }

    /// The part after `||`: `domain^` (a trailing `^|` ends at the same place and is taken too), nothing else.
    private static func adguard(_ line: UnsafeRawBufferPointer, _ start: Int, _ end: Int, exception: Bool) -> BlocklistLine {
        var stop = end
        if stop - start >= 2, line[stop - 1] == UInt8(ascii: "|"), line[stop - 2] == UInt8(ascii: "^") { stop -= 1 }
        guard stop > start, line[stop - 1] == UInt8(ascii: "^") else {
            let hasModifier = line[start..<end].contains(UInt8(ascii: "$"))
            return .unsupported(hasModifier ? "AdGuard modifiers ($…) are not supported" : "expected `||domain^`")
        }
        stop -= 1
        for byte in line[start..<stop] where byte == UInt8(ascii: "*") || byte == UInt8(ascii: "/") || byte == UInt8(ascii: "|")
            || byte == UInt8(ascii: "^") || byte == UInt8(ascii: "$") || byte == space || byte == tab {
            return .unsupported("wildcards, paths and modifiers are not supported, only `||domain^`")
        }
        guard stop > start else { return .unsupported("expected `||domain^`") }
        return exception ? .exceptDomain(start..<stop) : .domain(start..<stop)
    }

    private static func hasPrefix(_ line: UnsafeRawBufferPointer, _ start: Int, _ end: Int, _ prefix: StaticString) -> Bool {
        let count = prefix.utf8CodeUnitCount
        guard end - start >= count else { return false }
        let p = prefix.utf8Start
        for k in 0..<count where line[start + k] != p[k] { return false }
        return true
    }

    /// An IPv4 or IPv6 literal: the first field of a hosts line. Fast paths for the addresses lists use.
    private static func looksLikeAddress(_ line: UnsafeRawBufferPointer, _ field: Range<Int>) -> Bool {
        let bytes = UnsafeRawBufferPointer(rebasing: line[field])
        if bytes.elementsEqual("0.0.0.0".utf8) || bytes.elementsEqual("127.0.0.1".utf8) || bytes.elementsEqual("::".utf8)
            || bytes.elementsEqual("::1".utf8) {
            return true
        }
        // Only IPv6 literals have a colon, and IPv4 ones only digits and dots: a domain name (a letter
        // somewhere) never gets as far as the full address parser.
        let colon = bytes.contains(UInt8(ascii: ":"))
        guard colon || bytes.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || $0 == UInt8(ascii: ".") }) else { return false }
        return IPAddress(String(decoding: bytes, as: UTF8.self)) != nil
    }
}
