// Where the stats socket lives. Both `stoep run` (server) and `stoep stats` (client) resolve it the same way,
// so that they meet without configuration:
//   1. --stats-socket PATH, when given;
//   2. $RUNTIME_DIRECTORY/stoep.sock — systemd's RuntimeDirectory=; when several directories are
//      configured systemd joins them with ':' and we take the first;
//   3. $XDG_RUNTIME_DIR/stoep.sock — a user session (/run/user/UID);
//   4. ./stoep.sock.
// Empty values count as unset (an empty `--stats-socket ""` too).

import Glibc

public enum StatsSocketPath {
    public static let fileName = "stoep.sock"

    public static func resolve(flag: String?, environment: [String: String]) -> String {
        if let flag, !flag.isEmpty {
            return flag
        }
        if let runtime = environment["RUNTIME_DIRECTORY"],
           let first = runtime.split(separator: ":", omittingEmptySubsequences: true).first {
            return join(String(first), fileName)
        }
        if let xdg = environment["XDG_RUNTIME_DIR"], !xdg.isEmpty {
            return join(xdg, fileName)
        }
        return "./" + fileName
    }

    private static func join(_ directory: String, _ name: String) -> String {
        directory.hasSuffix("/") ? directory + name : directory + "/" + name
    }
}

public enum ProcessEnvironment {
    /// The process environment read from libc's `environ` (Foundation's ProcessInfo is off limits).
    /// Entries without '=' are skipped; for a repeated name the first entry wins, as getenv(3) does.
    public static func current() -> [String: String] {
        var result: [String: String] = [:]
        // `environ` is imported as an implicitly unwrapped pointer; it can be NULL after clearenv(3).
        let start: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = environ
        guard var entry = start else { return result }
        while let pointer = entry.pointee {
            let text = String(cString: pointer)
            if let equals = text.firstIndex(of: "=") {
                let name = String(text[..<equals])
                if result[name] == nil {
                    result[name] = String(text[text.index(after: equals)...])
                }
            }
            entry += 1
        }
        return result
    }
}
