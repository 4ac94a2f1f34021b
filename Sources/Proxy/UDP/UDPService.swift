// A UDP service: where a new UDP session goes. A load balancer over servers, or `weighted` over other UDP
// services, both picked with Traefik's interleaved weighted round robin (pkg/udp/wrr_load_balancer.go next:
// the index walks the list, the current weight drops by the weights' GCD each lap, a member is taken when its
// weight reaches the current one). Servers of a load balancer weigh 1 each. Only new sessions are balanced:
// a client's datagrams stay with the server its session was opened to, as in Traefik.
import Reactor

public final class UDPService {
    public enum Member {
        case server(UDPUpstream)
        case service(UDPService)
    }

    /// Qualified ("dns@file").
    public let name: String
    let members: [(member: Member, weight: Int)]
    private var index = -1
    private var currentWeight = 0

    init(name: String, members: [(member: Member, weight: Int)]) {
        self.name = name
        self.members = members
    }

    /// The server for a new session; nil when there is none (no servers, or every weight is 0): the
    /// session is not opened and its datagram is dropped, as Traefik closes the session.
    public func next(depth: Int = 0) -> UDPUpstream? {
        guard depth < 16, let maximum = members.map(\.weight).max(), maximum > 0 else { return nil }
        let gcd = members.map(\.weight).filter { $0 > 0 }.reduce(0, Self.gcd)
        for _ in 0..<(members.count * (maximum / gcd + 1)) {
            index = (index + 1) % members.count
            if index == 0 {
                currentWeight -= gcd
                if currentWeight <= 0 { currentWeight = maximum }
            }
            let (member, weight) = members[index]
            guard weight >= currentWeight else { continue }
            switch member {
            case .server(let upstream): return upstream
            case .service(let service): return service.next(depth: depth + 1)
            }
        }
        return nil
    }

    static func gcd(_ a: Int, _ b: Int) -> Int { b == 0 ? a : gcd(b, a % b) }
}

/// One server of a UDP service, its address resolved when the table was built.
public struct UDPUpstream: CustomStringConvertible {
    /// As configured ("10.0.0.5:53").
    public let configured: String
    public let address: SocketAddress

    public var description: String { configured }
}
