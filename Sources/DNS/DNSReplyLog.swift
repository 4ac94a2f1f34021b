// dnsmasq's log-queries lines for forwarded and cached answers: one `reply NAME is ADDR` line per address
// record, `<CNAME>` for aliases, NXDOMAIN / NODATA for negative answers (cache.c log_query). The answer
// records are the ones DNSMessageLayout found; nothing here walks the message.

enum DNSReplyLog {
    /// Lines describing `message` for `name`; `verb` is "reply" or "cached". `layout` is the message's,
    /// with its records collected; nil when the message did not parse past its question (then only a
    /// non-zero rcode is told: there are no records to list).
    static func lines(_ message: [UInt8], layout: DNSMessageLayout?, name: DNSName, type: DNSRecordType,
                      verb: String) -> [String] {
        let n = DNSQueryLog.text(name)
        guard let header = layout?.header ?? (try? DNSHeader(parsing: message)) else { return [] }
        let rcode = header.rcodeLow
        if rcode == 3 { return ["\(verb) \(n) is NXDOMAIN"] }
        if rcode != 0 { return ["\(verb) \(n) is \(DNSResponseCode(rawValue: UInt16(rcode)))"] }
        guard let layout else { return [] }
        var out: [String] = []
        for record in layout.records where record.section == .answer {
            let data = record.rdataStart
            switch (DNSRecordType(rawValue: record.type), record.end - data) {
            case (.a, 4):
                out.append("\(verb) \(n) is \(IPv4Address(message.dnsUInt32(at: data)))")
            case (.aaaa, 16):
                let high = UInt64(message.dnsUInt32(at: data)) << 32 | UInt64(message.dnsUInt32(at: data + 4))
                let low = UInt64(message.dnsUInt32(at: data + 8)) << 32 | UInt64(message.dnsUInt32(at: data + 12))
                out.append("\(verb) \(n) is \(IPv6Address(high: high, low: low))")
            case (.cname, _):
                out.append("\(verb) \(n) is <CNAME>")
            default:
                break
            }
        }
        // dnsmasq names the empty answer by the question type (NODATA-IPv4 for A, NODATA-IPv6 for AAAA).
        let nodata = type == .a ? "NODATA-IPv4" : type == .aaaa ? "NODATA-IPv6" : "NODATA"
        return out.isEmpty ? ["\(verb) \(n) is \(nodata)"] : out
    }
}
