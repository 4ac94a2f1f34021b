// A TCP server's "host:port" (Traefik's tcp.services.*.loadBalancer.servers[].address) to a socket
// address. Numeric hosts are taken as they are; host names are resolved here, once, while the table is
// built (SocketAddress.resolving blocks, and the loop must never wait on it), and the caller reports that as a warning.
import Reactor

enum TCPUpstreamAddress {
    struct Failure: Error, CustomStringConvertible { let description: String }

    /// The parsed address and, when `address` named a host, the IP it resolved to (for the warning).
    static func resolve(_ address: String) -> Result<(upstream: TCPUpstream, resolvedFrom: String?), Failure> {
        guard let (host, port) = split(address) else {
            return .failure(Failure(description: "expected \"host:port\" with a port from 1 to 65535"))
        }
        if let numeric = SocketAddress(host: host, port: port) {
            return .success((TCPUpstream(configured: address, address: numeric), nil))
        }
        guard let resolved = SocketAddress.resolving(host: host, port: port) else {
            return .failure(Failure(description: "cannot resolve \(host)"))
        }
        return .success((TCPUpstream(configured: address, address: resolved), resolved.ipText))
    }

    /// "host:port" or "[v6]:port"; nil without a valid port or with an empty host (Traefik's TCP dialer
    /// needs both).
    static func split(_ address: String) -> (host: String, port: UInt16)? {
        var host: Substring, portText: Substring
        if address.hasPrefix("[") {
            guard let close = address.firstIndex(of: "]") else { return nil }
            host = address[address.index(after: address.startIndex)..<close]
            let after = address[address.index(after: close)...]
            guard after.hasPrefix(":") else { return nil }
            portText = after.dropFirst()
        } else {
            guard let colon = address.lastIndex(of: ":") else { return nil }
            host = address[..<colon]
            portText = address[address.index(after: colon)...]
            if host.contains(":") { return nil }  // a bare IPv6 literal needs brackets
        }
        guard !host.isEmpty, let port = UInt16(portText), port != 0 else { return nil }
        return (String(host), port)
    }

}
