// healthCheck.followRedirects (Traefik's default true): the probe is Go's http.Client, which follows a
// 301/302/303/307/308 that has a Location (up to 10 times, then the check fails: "stopped after 10
// redirects") and the last answer is judged; with followRedirects=false (CheckRedirect returns
// ErrUseLastResponse) the 3xx itself is judged — any 3xx is up unless `status` asks for another.
// A 3xx without Location is judged as it is (Go returns it). As Go's redirectBehavior: 301/302/303 turn a
// method other than GET/HEAD into GET; 307/308 keep it. The Host is the new URL's, except that a custom
// `hostname` stays for a relative Location (Go issue 22233).
//
// The loop never blocks on a name lookup, so a Location is followed to the same server (relative, or
// naming the server's own host), or to an IP literal; an https:// Location (the probe speaks plain HTTP)
// or another host name fails the check, and the log says why (docs/proxy.md).
import Reactor

/// Where one request of a health check goes.
struct HealthProbeHop {
    var address: SocketAddress
    /// host[:port] of the URL (the Host field unless `hostField` replaces it).
    var authority: String
    var pathAndQuery: String
    var method: String
    /// `hostname` of the health check while it applies.
    var hostField: String?
    var count = 0

    static let maxRedirects = 10
    static let redirectStatuses: Set<Int> = [301, 302, 303, 307, 308]

    /// The hop after a redirect to `location`, or a reason it cannot be followed. `serverHost`: the
    /// server's host as its URL writes it (a Location naming it reaches the server's address).
    func following(_ location: String, status: Int, serverHost: String, serverAddress: SocketAddress) -> Result<HealthProbeHop, RedirectRefusal> {
        guard count < HealthProbeHop.maxRedirects else { return .failure(RedirectRefusal("stopped after 10 redirects")) }
        var next = self
        next.count += 1
        if status != 307 && status != 308 && method != "GET" && method != "HEAD" { next.method = "GET" }
        var rest = Substring(location)
        if rest.lowercased().hasPrefix("https://") { return .failure(RedirectRefusal("redirect to \(location): the probe speaks plain HTTP")) }
        var absolute = false
        if rest.lowercased().hasPrefix("http://") {
            rest = rest.dropFirst(7)
            absolute = true
        } else if rest.hasPrefix("//") {
            rest = rest.dropFirst(2)
            absolute = true
        }
        if absolute {
            let end = rest.firstIndex { $0 == "/" || $0 == "?" } ?? rest.endIndex
            let authority = String(rest[..<end])
            var path = String(rest[end...])
            if path.isEmpty || path.hasPrefix("?") { path = "/" + path }
            guard let (host, port) = HealthProbeHop.split(authority) else { return .failure(RedirectRefusal("redirect to \(location): bad address")) }
            let address: SocketAddress
            if host.lowercased() == serverHost.lowercased(), let a = HealthProbeHop.withPort(serverAddress, port) {
                address = a
            } else if let a = SocketAddress(host: host, port: port) {
                address = a
            } else {
                return .failure(RedirectRefusal("redirect to \(location): host names other than the server's are not looked up by the probe"))
            }
            next.address = address
            next.authority = authority
            next.pathAndQuery = path
            next.hostField = nil
            return .success(next)
        }
        // Relative: resolved against the current URL (RFC 3986 §5.2, without dot-segment removal).
        let current = pathAndQuery.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        let currentPath = String(current.first ?? "/")
        if rest.isEmpty {
            return .success(next)
        } else if rest.hasPrefix("/") {
            next.pathAndQuery = String(rest)
        } else if rest.hasPrefix("?") {
            next.pathAndQuery = currentPath + rest
        } else {
            let dir = currentPath.lastIndex(of: "/").map { String(currentPath[...$0]) } ?? "/"
            next.pathAndQuery = dir + rest
        }
        if let hash = next.pathAndQuery.firstIndex(of: "#") { next.pathAndQuery = String(next.pathAndQuery[..<hash]) }
        return .success(next)
    }

    /// host and port of "host[:port]" / "[v6][:port]" (port 80 when absent).
    static func split(_ authority: String) -> (String, UInt16)? {
        if authority.hasPrefix("["), let close = authority.firstIndex(of: "]") {
            let host = String(authority[authority.index(after: authority.startIndex)..<close])
            let after = authority[authority.index(after: close)...]
            if after.isEmpty { return (host, 80) }
            guard after.hasPrefix(":"), let p = UInt16(after.dropFirst()) else { return nil }
            return (host, p)
        }
        guard let colon = authority.lastIndex(of: ":") else { return authority.isEmpty ? nil : (authority, 80) }
        guard let p = UInt16(authority[authority.index(after: colon)...]) else { return nil }
        return (String(authority[..<colon]), p)
    }

    /// `address` with `port`.
    static func withPort(_ address: SocketAddress, _ port: UInt16) -> SocketAddress? {
        let text = address.description
        guard let colon = text.lastIndex(of: ":") else { return nil }
        var host = text[..<colon]
        if host.hasPrefix("[") && host.hasSuffix("]") { host = host.dropFirst().dropLast() }
        return SocketAddress(host: String(host), port: port)
    }
}

struct RedirectRefusal: Error {
    let reason: String
    init(_ reason: String) { self.reason = reason }
}
