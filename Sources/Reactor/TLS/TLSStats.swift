// What the stats socket shows about TLS: handshakes, failures by reason, protocol versions, resumption.
public final class TLSStats {
    public var handshakes: UInt64 = 0
    public var resumed: UInt64 = 0
    public var kernelOffloaded: UInt64 = 0
    public private(set) var failures: [String: UInt64] = [:]
    public private(set) var versions: [String: UInt64] = [:]

    public init() {}

    public var failureCount: UInt64 { failures.values.reduce(0, &+) }

    public func failed(_ reason: String) {
        failures[reason, default: 0] &+= 1
    }

    public func completed(_ t: TLSTransport) {
        handshakes &+= 1
        versions[t.protocolVersion, default: 0] &+= 1
        if t.sessionReused { resumed &+= 1 }
        if t.canSplice { kernelOffloaded &+= 1 }
    }
}
