// dnsmasq's log-queries lines for forwarded and cached answers: one `reply NAME is ADDR` line per address
// record, `<CNAME>` for aliases, NXDOMAIN / NODATA for negative answers (cache.c log_query).

enum DNSReplyLog {
    /// Lines describing `response` for `name`; `verb` is "reply" or "cached".
    static func lines(_ response: [UInt8], name: DNSName, type: DNSRecordType, verb: String) -> [String] {
        let n = DNSQueryLog.text(name)
        guard response.count >= 12 else { return [] }
        let rcode = response[3] & 0x0F
        if rcode == 3 { return ["\(verb) \(n) is NXDOMAIN"] }
        if rcode != 0 { return ["\(verb) \(n) is \(DNSResponseCode(rawValue: UInt16(rcode)))"] }
        let qd = Int(response[4]) << 8 | Int(response[5])
        let an = Int(response[6]) << 8 | Int(response[7])
        var out: [String] = []
        do {
            var i = 12
            for _ in 0..<qd { i = try DNSName.skip(response, at: i) + 4 }
            for _ in 0..<an {
                i = try DNSName.skip(response, at: i)
                guard i + 10 <= response.count else { break }
                let type = Int(response[i]) << 8 | Int(response[i + 1])
                let length = Int(response[i + 8]) << 8 | Int(response[i + 9])
                let data = i + 10
                guard data + length <= response.count else { break }
                switch (type, length) {
                case (1, 4):
                    let v = response[data..<data + 4].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
                    out.append("\(verb) \(n) is \(IPv4Address(v))")
                case (28, 16):
                    let hi = response[data..<data + 8].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
                    let lo = response[data + 8..<data + 16].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
                    out.append("\(verb) \(n) is \(IPv6Address(high: hi, low: lo))")
                case (5, _):
                    out.append("\(verb) \(n) is <CNAME>")
                default: break
                }
                i = data + length
            }
        } catch {
            return out
        }
        // dnsmasq names the empty answer by the question type (NODATA-IPv4 for A, NODATA-IPv6 for AAAA).
        let nodata = type == .a ? "NODATA-IPv4" : type == .aaaa ? "NODATA-IPv6" : "NODATA"
        return out.isEmpty ? ["\(verb) \(n) is \(nodata)"] : out
    }
}
