// Facts about this process for `show info`, and the process-level set-up of `stoep run`:
// file-descriptor limit, privilege drop.
import Glibc

enum ProcessFacts {
    /// Resident set size in bytes, from /proc/self/statm (pages), read without Foundation.
    static func residentBytes() -> Int {
        let fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC)
        if fd < 0 { return 0 }
        defer { close(fd) }
        var buf = [UInt8](repeating: 0, count: 128)
        let n = read(fd, &buf, buf.count)
        guard n > 0 else { return 0 }
        let fields = String(decoding: buf[0..<n], as: UTF8.self).split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    /// Number of threads of this process (/proc/self/task entries): stoep must always show 1.
    static func threadCount() -> Int {
        guard let dir = opendir("/proc/self/task") else { return 0 }
        defer { closedir(dir) }
        var n = 0
        while let e = readdir(dir) {
            let first = withUnsafeBytes(of: e.pointee.d_name) { $0[0] }
            if first != UInt8(ascii: ".") { n += 1 }
        }
        return n
    }

    /// Raises the soft RLIMIT_NOFILE to the hard limit: every connection costs one or two descriptors
    /// and every pipe two. Returns the new soft limit.
    @discardableResult
    static func raiseFileLimit() -> UInt64 {
        var lim = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &lim) == 0 else { return 0 }
        if lim.rlim_cur < lim.rlim_max {
            lim.rlim_cur = lim.rlim_max
            _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &lim)
        }
        return UInt64(lim.rlim_cur)
    }

    /// Drops to `user` (name or numeric uid) after the privileged ports are bound. Throws a readable
    /// message when the user does not exist or the calls fail.
    static func dropPrivileges(to user: String) throws {
        var uid: uid_t, gid: gid_t
        if let pw = getpwnam(user) {
            uid = pw.pointee.pw_uid
            gid = pw.pointee.pw_gid
        } else if let n = UInt32(user) {
            uid = n
            gid = n
        } else {
            throw ArgumentError(description: "user \(user): no such user")
        }
        if getuid() == uid { return }
        if setgroups(0, nil) != 0 || setgid(gid) != 0 || setuid(uid) != 0 {
            throw ArgumentError(description: "user \(user): cannot drop privileges: \(String(cString: strerror(errno)))")
        }
    }

    static func environment() -> [String: String] {
        var env: [String: String] = [:]
        var p = environ
        while let entry = p.pointee {
            let s = String(cString: entry)
            if let eq = s.firstIndex(of: "=") {
                env[String(s[..<eq])] = String(s[s.index(after: eq)...])
            }
            p += 1
        }
        return env
    }
}
