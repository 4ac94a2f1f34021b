// Facts about this process for `show info`, and the process-level set-up of `stoep run`:
// file-descriptor limit (the privilege drop: ProcessIdentity and Appliance+Privileges).
import Glibc
import Reactor

enum ProcessFacts {
    /// Resident set size in bytes, from /proc/self/statm (pages), read without Foundation.
    static func residentBytes() -> Int {
        guard case .success(let statm) = readWholeFile("/proc/self/statm"), !statm.isEmpty else { return 0 }
        let fields = String(decoding: statm, as: UTF8.self).split(separator: " ")
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

    /// The box's host name (the community CA names its root after it); "stoep" when it cannot be read.
    static func hostName() -> String {
        guard case .success(let bytes) = readWholeFile("/proc/sys/kernel/hostname", limit: 256) else { return "stoep" }
        let name = String(decoding: bytes, as: UTF8.self).split(separator: "\n").first.map(String.init) ?? ""
        return name.isEmpty ? "stoep" : name
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

extension ProcessFacts {
    /// Drops the resident pages of executable file mappings (our text and the shared libraries' text)
    /// once start-up is over. Those pages are clean copies of the files: the kernel maps them again
    /// from the page cache on the next use, so only what the running loop touches comes back. Start-up
    /// code (configuration parsing, zone building) would otherwise stay counted in the resident set, and
    /// the kernel's fault-around maps 16 pages per fault, so 60% of the text was resident after start.
    /// Only r-x mappings are touched: writable or relocated (RELRO) pages are never dropped.
    static func releaseStartupTextPages() -> Int {
        guard case .success(let bytes) = readWholeFile("/proc/self/maps") else { return 0 }
        var released = 0
        for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count >= 6, fields[1] == "r-xp", fields[5].hasPrefix("/") else { continue }
            let range = fields[0].split(separator: "-")
            guard range.count == 2, let lo = UInt(range[0], radix: 16), let hi = UInt(range[1], radix: 16),
                  let start = UnsafeMutableRawPointer(bitPattern: lo) else { continue }
            if madvise(start, Int(hi - lo), MADV_DONTNEED) == 0 { released += Int(hi - lo) }
        }
        return released
    }
}
