// The user, groups and capability stoep runs with after `user = "name"` dropped root (docs/security.md,
// "Privileges"). Resolved before anything is bound, so a missing user or group stops start-up before a
// port is taken and the stats socket can be created with its final owner; applied after binding.
import CStoep
import Glibc

public struct ProcessIdentity: Equatable, Sendable {
    public let userName: String
    public let uid: uid_t
    /// The primary group: `group = "name"` (dnsmasq's group=), else the user's own from the passwd entry.
    public let gid: gid_t
    /// Supplementary groups: the user's groups in the group database (what login, su and systemd's User=
    /// give: `usermod -aG docker stoep` works as the Docker documentation says), then `groups = [...]`.
    public let groups: [gid_t]

    /// Reasons the identity cannot be resolved or applied, each naming the value at fault.
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// CAP_NET_BIND_SERVICE (linux/capability.h): binding ports below 1024. The only one stoep keeps.
    public static let netBindService: Int32 = 10

    /// Resolves `user` (a name, or a numeric uid with no passwd entry, e.g. a container's), `group`
    /// and `extraGroups` (names or numeric gids). A numeric uid without a passwd entry has no group
    /// database entries: its primary group is `group`, else the same number.
    public static func resolve(user: String, group: String?, extraGroups: [String]) throws(Failure) -> ProcessIdentity {
        var uid: uid_t, gid: gid_t
        let inDatabase: Bool
        if let pw = getpwnam(user) {
            uid = pw.pointee.pw_uid
            gid = pw.pointee.pw_gid
            inDatabase = true
        } else if let n = UInt32(user) {
            uid = n
            gid = n
            inDatabase = false
        } else {
            throw Failure(description: "user \(user): no such user")
        }
        if let group {
            guard let g = groupID(group) else { throw Failure(description: "group \(group): no such group") }
            gid = g
        }
        // With the primary group chosen: `group =` replaces the passwd entry's group, as initgroups(user,
        // group) does for su -g.
        let own = inDatabase ? groupList(of: user, primary: gid) : []
        var all: [gid_t] = []
        for g in own where !all.contains(g) { all.append(g) }
        for name in extraGroups {
            guard let g = groupID(name) else { throw Failure(description: "groups: \(name): no such group") }
            if !all.contains(g) { all.append(g) }
        }
        return ProcessIdentity(userName: user, uid: uid, gid: gid, groups: all)
    }

    /// A group name, or a number (a gid with no group entry, such as the Docker socket's group inside
    /// a container).
    static func groupID(_ name: String) -> gid_t? {
        if let gr = getgrnam(name) { return gr.pointee.gr_gid }
        return UInt32(name)
    }

    /// getgrouplist(3): every group of the group database that lists `user`, with `primary`.
    static func groupList(of user: String, primary: gid_t) -> [gid_t] {
        var count: Int32 = 64
        for _ in 0..<4 {  // grows to the count the call reports; bounded in case the database changes under us
            var list = [gid_t](repeating: 0, count: Int(count))
            let n = count
            if getgrouplist(user, primary, &list, &count) >= 0 { return Array(list.prefix(Int(count))) }
            if count <= n { count = n * 2 }
        }
        return [primary]
    }

    /// Whether the process runs as this identity already (started by systemd as the user): nothing to do.
    public var isCurrent: Bool { getuid() == uid && geteuid() == uid }

    /// Becomes this identity, keeping CAP_NET_BIND_SERVICE in the permitted and effective sets so a
    /// reload can bind a new port below 1024. Order matters: groups and gid while still root, then
    /// PR_SET_KEEPCAPS so setuid keeps the permitted set, then capset narrows every set to the one
    /// capability (the effective set is cleared by setuid and must be raised again). Not ambient: the
    /// ambient set passes to children across execve, and the one child stoep runs (a DNS-01 hook)
    /// binds no port.
    public func become() throws(Failure) {
        if isCurrent { return }
        func fail(_ call: String) -> Failure {
            Failure(description: "user \(userName): cannot drop privileges: \(call): \(Errno.current)")
        }
        if setgroups(groups.count, groups) != 0 { throw fail("setgroups") }
        if setgid(gid) != 0 { throw fail("setgid") }
        let keep = geteuid() == 0 && stoep_keep_capabilities(1) == 0
        if setuid(uid) != 0 { throw fail("setuid") }
        if keep {
            _ = stoep_keep_capabilities(0)
            let r = stoep_limit_capabilities_to(Self.netBindService, 0)
            if r < 0 { throw Failure(description: "user \(userName): cannot keep CAP_NET_BIND_SERVICE: capset: \(Errno(rawValue: -r))") }
        }
    }

    /// Whether the process can bind ports below 1024 now (root, or the capability kept or given).
    public static var canBindLowPorts: Bool { stoep_has_effective_capability(netBindService) == 1 }

    /// Why this process cannot open `path` now (read, and write with `write`), by access(2): after the
    /// drop the real and effective ids are the same, so it answers for the dropped user and its groups.
    /// nil when it can, or when the file does not exist (a missing file is reported where it is read).
    public static func accessProblem(_ path: String, write: Bool = false) -> Errno? {
        if access(path, write ? (R_OK | W_OK) : R_OK) == 0 { return nil }
        let e = Errno.current
        return e == .noSuchFileOrDirectory ? nil : e
    }
}
