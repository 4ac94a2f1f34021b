// basicAuth's memory of Authorization values that verified, so a browser's repeated header costs no
// second bcrypt check on the loop.

/// Authorization values that verified, by their exact bytes → user name. Only successes are kept (failures
/// must pay the hash every time, or guessing would get cheaper). Bounded: `capacity` values, oldest dropped
/// first; values longer than `maximumValueBytes` are not kept, so the cache holds at most ~128 KiB. It lives
/// as long as its middleware, so a reload that changes a password or removes a user forgets old entries.
struct VerifiedCredentials {
    let capacity: Int
    static let maximumValueBytes = 512
    private var users: [[UInt8]: String] = [:]
    /// Insertion order as a ring; `next` is the slot to overwrite once full.
    private var order: [[UInt8]] = []
    private var next = 0

    init(capacity: Int) { self.capacity = max(1, capacity) }

    var count: Int { users.count }

    func user(for authorization: [UInt8]) -> String? { users[authorization] }

    mutating func remember(_ authorization: [UInt8], user: String) {
        guard authorization.count <= Self.maximumValueBytes, users[authorization] == nil else { return }
        if order.count < capacity {
            order.append(authorization)
        } else {
            users[order[next]] = nil
            order[next] = authorization
            next = (next + 1) % capacity
        }
        users[authorization] = user
    }
}
