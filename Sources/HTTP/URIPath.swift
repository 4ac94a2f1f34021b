// The escaped path of a request target as Go's net/url keeps it (Path, RawPath, EscapedPath), and the two
// normalisations of RFC 3986 that Traefik applies before routing: percent-encoding normalisation (§6.2.2.1:
// upper-case hex; §2.3: escapes of unreserved characters decoded) and dot-segment removal (§6.2.2.3, as
// Go's path.Clean does it, with duplicate slashes collapsed and a trailing slash kept).
// Pure functions over bytes: the proxy's policy (which of these run, what is refused) is RequestTargetPolicy.

public enum URIPath {
    /// Go's shouldEscape(c, encodePath): everything but unreserved characters and `$&+,/:;=@` is escaped
    /// when Go writes a path itself.
    static func goEscapes(_ c: UInt8) -> Bool {
        switch c {
        case 0x30...0x39, 0x41...0x5A, 0x61...0x7A: return false
        case UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"): return false
        case UInt8(ascii: "$"), UInt8(ascii: "&"), UInt8(ascii: "+"), UInt8(ascii: ","), UInt8(ascii: "/"),
             UInt8(ascii: ":"), UInt8(ascii: ";"), UInt8(ascii: "="), UInt8(ascii: "@"): return false
        default: return true
        }
    }

    /// Go's validEncoded(s, encodePath): the bytes a path may carry unescaped and still be sent as written
    /// (Go's own set plus the sub-delims `!'()*`, `[]` and `%`). A path with other bytes (`"`, `{`, a
    /// space, bytes >= 0x80…) is re-escaped by Go before it is forwarded.
    static func isValidEncodedByte(_ c: UInt8) -> Bool {
        switch c {
        case UInt8(ascii: "!"), UInt8(ascii: "'"), UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: "*"),
             UInt8(ascii: "["), UInt8(ascii: "]"), UInt8(ascii: "%"): return true
        default: return !goEscapes(c)
        }
    }

    /// RFC 3986 §2.3 unreserved characters: ALPHA / DIGIT / "-" / "." / "_" / "~".
    static func isUnreserved(_ c: UInt8) -> Bool {
        switch c {
        case 0x30...0x39, 0x41...0x5A, 0x61...0x7A, UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
             UInt8(ascii: "~"): return true
        default: return false
        }
    }

    static let upperHex: [UInt8] = Array("0123456789ABCDEF".utf8)

    /// Every "%" is followed by two hex digits (Go's unescape succeeds; otherwise it answers 400).
    public static func hasValidEscapes(_ path: ArraySlice<UInt8>) -> Bool {
        var i = path.startIndex
        while i < path.endIndex {
            if path[i] == UInt8(ascii: "%") {
                guard i + 2 < path.endIndex, HTTPASCII.hexValue(path[i + 1]) != nil, HTTPASCII.hexValue(path[i + 2]) != nil else { return false }
                i += 3
            } else {
                i += 1
            }
        }
        return true
    }

    /// Go's unescape(s, encodePath); the caller has checked the escapes.
    static func unescape(_ path: ArraySlice<UInt8>) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(path.count)
        var i = path.startIndex
        while i < path.endIndex {
            if path[i] == UInt8(ascii: "%"), i + 2 < path.endIndex, let h = HTTPASCII.hexValue(path[i + 1]), let l = HTTPASCII.hexValue(path[i + 2]) {
                out.append(h << 4 | l)
                i += 3
            } else {
                out.append(path[i])
                i += 1
            }
        }
        return out
    }

    /// Go's escape(s, encodePath): upper-case escapes for every byte `goEscapes`.
    static func escape(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        for c in bytes {
            if goEscapes(c) {
                out += [UInt8(ascii: "%"), upperHex[Int(c >> 4)], upperHex[Int(c & 15)]]
            } else {
                out.append(c)
            }
        }
        return out
    }

    /// RFC 3986 §6.2.2.1 and §2.3, as Traefik's normalizePath: escapes in upper case, escapes of unreserved
    /// characters decoded ("/caf%c3%a9/%41" → "/caf%C3%A9/A"). The caller has checked the escapes.
    static func normalizeEscapes(_ path: ArraySlice<UInt8>) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(path.count)
        var i = path.startIndex
        while i < path.endIndex {
            guard path[i] == UInt8(ascii: "%"), i + 2 < path.endIndex,
                  let h = HTTPASCII.hexValue(path[i + 1]), let l = HTTPASCII.hexValue(path[i + 2]) else {
                out.append(path[i])
                i += 1
                continue
            }
            let decoded = h << 4 | l
            if isUnreserved(decoded) {
                out.append(decoded)
            } else {
                out += [UInt8(ascii: "%"), upperHex[Int(h)], upperHex[Int(l)]]
            }
            i += 3
        }
        return out
    }

    /// The escaped path Go forwards for `path` after Traefik's normalizePath: the normalised bytes when they
    /// are a valid encoding, else Go's own escaping of the decoded path.
    public static func normalized(_ path: ArraySlice<UInt8>) -> [UInt8] {
        let n = normalizeEscapes(path)
        if n.allSatisfy(isValidEncodedByte) { return n }
        return escape(unescape(path))
    }

    /// Go's path.Clean on a rooted path, keeping a trailing slash as url.JoinPath does: duplicate slashes
    /// collapse, "." segments go, ".." removes the segment before it (and nothing above the root).
    /// Segments are compared as written: "%2E%2E" is not "..", and "%2F" does not separate segments.
    public static func removeDotSegments(_ path: [UInt8]) -> [UInt8] {
        guard path.first == UInt8(ascii: "/") else { return path }
        var segments: [ArraySlice<UInt8>] = []
        for segment in path.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: true) {
            if segment.count == 1 && segment.first == UInt8(ascii: ".") { continue }
            if segment.count == 2 && segment.allSatisfy({ $0 == UInt8(ascii: ".") }) {
                if !segments.isEmpty { segments.removeLast() }
                continue
            }
            segments.append(segment)
        }
        var out: [UInt8] = [UInt8(ascii: "/")]
        out.reserveCapacity(path.count)
        for (index, segment) in segments.enumerated() {
            if index > 0 { out.append(UInt8(ascii: "/")) }
            out += segment
        }
        if path.last == UInt8(ascii: "/") && out.last != UInt8(ascii: "/") { out.append(UInt8(ascii: "/")) }
        return out
    }

    /// True when `path` is already what normalisation and dot-segment removal would make of it: only bytes
    /// Go sends as written, no "%" and no "//", "/./" or "/../" (nor a final "/." or "/.."). The common case,
    /// checked without allocating.
    public static func isAlreadyNormal(_ path: ArraySlice<UInt8>) -> Bool {
        var previousSlash = -10
        var dotsSinceSlash = 0
        for i in path.indices {
            let c = path[i]
            if c == UInt8(ascii: "/") {
                if i - previousSlash == 1 { return false }
                if dotsSinceSlash > 0 && dotsSinceSlash == i - previousSlash - 1 && dotsSinceSlash <= 2 { return false }
                previousSlash = i
                dotsSinceSlash = 0
                continue
            }
            if c == UInt8(ascii: "%") || !isValidEncodedByte(c) { return false }
            if c == UInt8(ascii: ".") { dotsSinceSlash += 1 }
        }
        let tail = path.endIndex - previousSlash - 1
        return !(dotsSinceSlash > 0 && dotsSinceSlash == tail && dotsSinceSlash <= 2)
    }
}
