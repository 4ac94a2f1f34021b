// The nonces a digestAuth middleware issued and the highest nonce count seen for each (go-http-auth's
// `clients` map), bounded as go-http-auth bounds it, and its parameter-list parser.

struct DigestNonces {
    enum Use: Equatable {
        /// A count above the last one (or the first use): accepted.
        case fresh
        /// The same count again: a replay.
        case replayed
        /// A smaller count: requests pipelined out of order; the client is told the nonce is stale.
        case outOfOrder
        /// Not issued here (or purged).
        case unknown
    }

    /// DefaultClientCacheSize and DefaultClientCacheTolerance: past 1,100 nonces the 200 least recently
    /// used are dropped before a new one is issued, so memory stays bounded however many challenges go out.
    static let size = 1000, tolerance = 100

    private var entries: [String: (count: UInt64, lastSeen: UInt64)] = [:]
    /// Orders entries by use without a clock: go-http-auth compares UnixNano stamps.
    private var tick: UInt64 = 0

    var count: Int { entries.count }

    mutating func issue(_ nonce: String) {
        if entries.count > Self.size + Self.tolerance {
            let oldest = entries.sorted { $0.value.lastSeen < $1.value.lastSeen }.prefix(Self.tolerance * 2)
            for (nonce, _) in oldest { entries[nonce] = nil }
        }
        tick &+= 1
        entries[nonce] = (0, tick)
    }

    /// The nonce used with count `nc`; remembered when fresh.
    mutating func use(_ nonce: String, count nc: UInt64) -> Use {
        guard let entry = entries[nonce] else { return .unknown }
        if entry.count != 0 {
            if nc == entry.count { return .replayed }
            if nc < entry.count { return .outOfOrder }
        }
        tick &+= 1
        entries[nonce] = (nc, tick)
        return .fresh
    }
}

/// go-http-auth's ParseList (urllib2.parse_http_list): elements split at commas outside double quotes, a
/// backslash escaping the next character inside them (the backslash dropped), each trimmed of spaces.
enum DigestParameterList {
    static func split(_ value: String) -> [String] {
        var list: [String] = []
        var current = ""
        var escape = false, quote = false
        for c in value {
            if escape {
                current.append(c)
                escape = false
            } else if quote {
                if c == "\\" {
                    escape = true
                } else {
                    if c == "\"" { quote = false }
                    current.append(c)
                }
            } else if c == "," {
                list.append(Substring(current).trimmingCharacters(" \t\n\r"))
                current = ""
            } else {
                if c == "\"" { quote = true }
                current.append(c)
            }
        }
        if !current.isEmpty { list.append(Substring(current).trimmingCharacters(" \t\n\r")) }
        return list
    }
}
