// Sticky sessions as Traefik 3.7 keeps them (pkg/server/service/loadbalancer/sticky.go and
// pkg/server/cookie/cookie.go, v3.7.9): a balancer with `sticky.cookie` answers a client that came
// without a valid cookie with `Set-Cookie: NAME=VALUE`, VALUE being the first 16 hex digits of SHA-256
// of the server's URL (a loadBalancer) or of the child service's name (a weighted service). A client
// sending that cookie goes to that server while it is up. Values of older Traefik versions — the name
// itself, its FNV-64 hash, or the FNV-64 of that hash — still pin, and are rewritten to the SHA-256 form.
import Config
import PKI

struct StickyCookie {
    let name: String
    let secure: Bool
    let httpOnly: Bool
    /// "None", "Lax", "Strict", or nil (Go's SameSiteDefaultMode writes nothing).
    let sameSite: String?
    let maxAge: Int64
    let path: String
    let domain: String

    /// `service`: the qualified service name, for the default cookie name.
    init(_ config: TraefikStickyCookie, service: String) {
        name = config.name.isEmpty ? Self.defaultName(service: service) : Self.sanitizedName(config.name)
        secure = config.secure
        httpOnly = config.httpOnly
        switch config.sameSite.lowercased() {
        case "none": sameSite = "None"
        case "lax": sameSite = "Lax"
        case "strict": sameSite = "Strict"
        default: sameSite = nil
        }
        maxAge = config.maxAge
        path = config.path ?? "/"
        domain = config.domain
    }

    /// The Set-Cookie value for `value`, attribute by attribute as Go's http.Cookie.String writes it.
    func setCookie(_ value: String) -> String {
        var s = name + "=" + value
        if !path.isEmpty { s += "; Path=" + path }
        if !domain.isEmpty { s += "; Domain=" + (domain.hasPrefix(".") ? String(domain.dropFirst()) : domain) }
        if maxAge > 0 { s += "; Max-Age=\(maxAge)" } else if maxAge < 0 { s += "; Max-Age=0" }
        if httpOnly { s += "; HttpOnly" }
        if secure { s += "; Secure" }
        if let sameSite { s += "; SameSite=" + sameSite }
        return s
    }

    /// This cookie's value in a request's Cookie fields (Go's Request.Cookie: the first pair with the
    /// name, surrounding double quotes removed), or nil.
    func value(in cookieFields: [String]) -> String? {
        for field in cookieFields {
            for pair in field.split(separator: ";") {
                let trimmed = pair.drop { $0 == " " || $0 == "\t" }
                guard let eq = trimmed.firstIndex(of: "="), trimmed[..<eq] == name[...] else { continue }
                var v = trimmed[trimmed.index(after: eq)...]
                while v.last == " " || v.last == "\t" { v = v.dropLast() }
                if v.count >= 2, v.first == "\"", v.last == "\"" { v = v.dropFirst().dropLast() }
                return String(v)
            }
        }
        return nil
    }

    /// Traefik's cookie.GenerateName: "_" and the hex SHA-1 of "_TRAEFIK_BACKEND_" + service, cut to 6
    /// characters.
    static func defaultName(service: String) -> String {
        String(("_" + hex(SHA1.digest(Array(("_TRAEFIK_BACKEND_" + service).utf8)))).prefix(6))
    }

    /// Traefik's sanitizeName (RFC 2616 §2.2 token characters kept, anything else becomes "_").
    static func sanitizedName(_ name: String) -> String {
        String(name.unicodeScalars.map { c -> Character in
            if ("a"..."z").contains(c) || ("A"..."Z").contains(c) || ("0"..."9").contains(c) || "!#$%&'*+-.^`|~".unicodeScalars.contains(c) {
                return Character(c)
            }
            return "_"
        })
    }

    /// The value that pins to `key` (a server URL or a child service name): SHA-256, 16 hex digits.
    static func value(for key: String) -> String { String(hex(Digest.sha256(Array(key.utf8))).prefix(16)) }

    /// Values of older Traefik versions that still pin to `key` (sticky.go's compatibilityStickyMap).
    static func legacyValues(for key: String) -> [String] {
        let once = fnv64(key)
        return [key, once, fnv64(once)]
    }

    /// Go's hash/fnv New64 (FNV-1, 64 bit) as strconv.FormatUint(sum, 16).
    static func fnv64(_ text: String) -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in text.utf8 {
            h = h &* 0x0000_0100_0000_01b3
            h ^= UInt64(b)
        }
        return String(h, radix: 16)
    }

    private static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef")
        var s = ""
        for b in bytes { s.append(digits[Int(b >> 4)]); s.append(digits[Int(b & 15)]) }
        return s
    }
}

/// Which entry of a sticky balancer a request's cookie names.
struct StickyTable {
    let cookie: StickyCookie
    /// Per entry, the value written for it.
    let values: [String]
    /// Value → entry, and whether that value must be rewritten (an older Traefik's form).
    private let entries: [String: (index: Int, rewrite: Bool)]

    /// `keys`: per entry, its server URL or child service name.
    init(cookie: StickyCookie, keys: [String]) {
        self.cookie = cookie
        values = keys.map(StickyCookie.value(for:))
        var entries: [String: (index: Int, rewrite: Bool)] = [:]
        for (i, key) in keys.enumerated() {
            for legacy in StickyCookie.legacyValues(for: key) where entries[legacy] == nil { entries[legacy] = (i, true) }
        }
        for (i, v) in values.enumerated() { entries[v] = (i, false) }
        self.entries = entries
    }

    /// The entry the request's cookie pins, if any.
    func pinned(_ cookieFields: [String]) -> (index: Int, rewrite: Bool)? {
        cookie.value(in: cookieFields).flatMap { entries[$0] }
    }
}
