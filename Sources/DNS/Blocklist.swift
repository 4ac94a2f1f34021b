// The names stoep blocks, as loaded from `[dns] blocklists` and `[dns] allowlists`: four compact sets
// (BlockedNameSet), one per kind of line. The allowlist wins: a name that is allowed, exactly or through
// an allowed parent domain (`@@||d^`, or `||d^` in an allowlist), is never blocked.

public struct Blocklist: Sendable {
    /// Hosts-format and plain lines of blocklists: these names exactly (Pi-hole's gravity).
    public internal(set) var names = BlockedNameSet()
    /// `||d^` lines of blocklists: these names and every name below them (AdGuard Home).
    public internal(set) var domains = BlockedNameSet()
    /// Hosts-format and plain lines of allowlists.
    public internal(set) var allowedNames = BlockedNameSet()
    /// `@@||d^` lines anywhere, `||d^` lines of allowlists.
    public internal(set) var allowedDomains = BlockedNameSet()

    public init() {}

    public var isEmpty: Bool { names.count == 0 && domains.count == 0 }
    /// Blocking entries (names and domains), after de-duplication.
    public var blockedCount: Int { names.count + domains.count }
    public var allowedCount: Int { allowedNames.count + allowedDomains.count }
    public var memoryBytes: Int { names.memoryBytes + domains.memoryBytes + allowedNames.memoryBytes + allowedDomains.memoryBytes }

    /// True when `name` is to be answered as blocked. No allocation: the key is built on the stack.
    public func blocks(_ name: DNSName) -> Bool {
        guard !isEmpty else { return false }
        return withUnsafeTemporaryAllocation(byteCount: 256, alignment: 1) { buffer in
            let length = name.writeReversedKey(into: buffer)
            let key = UnsafeRawBufferPointer(rebasing: buffer[0..<length])
            guard names.contains(key: key) || domains.containsSelfOrParent(key: key) else { return false }
            return !(allowedNames.contains(key: key) || allowedDomains.containsSelfOrParent(key: key))
        }
    }
}
