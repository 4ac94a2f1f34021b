// The one HTML escaping of the pages stoep writes itself (the dashboard, the status page's community CA
// section): router names, rules, URLs and certificate names come from configuration files and container
// labels, so every one is escaped before it lands in element content or a quoted attribute value.

enum HTMLText {
    /// `&`, `<`, `>`, `"` and `'` as character references (the OWASP set for content and attribute values).
    static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for c in s {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(c)
            }
        }
        return out
    }
}
