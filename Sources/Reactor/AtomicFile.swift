// Files stoep writes itself (acme.json, the community CA's keys and certificates): written whole or not at
// all, so a power cut on an edge box (they have no UPS) leaves the old file or the new one, never half of
// each. Blocking calls, for start-up and the rare renewal; never on a client's path.
import Glibc

/// Replaces `path` with `bytes` atomically and durably, with permissions exactly `mode` (0600 by default:
/// acme.json and private keys; Traefik refuses an acme.json that group or others can read):
///   1. a new temporary file in the same directory (rename(2) is atomic only within one file system),
///      created with O_EXCL and `mode`, then fchmod'ed to `mode` so the umask cannot narrow it,
///   2. every byte written, then fsync(2): the data is on disk before any name points to it,
///   3. rename(2) over `path`: readers see the old file or the new one, and inotify watchers get one
///      IN_MOVED_TO for the name,
///   4. fsync of the directory: the rename itself survives a power cut.
/// The temporary file is removed when a step before the rename fails. Throws the failed step's call and
/// errno; the caller names the file. `durable` false skips both fsyncs: for a file rewritten every few
/// seconds that a power cut may lose (the workers' summed metrics), so an SD card is not worn by it.
/// `owner`: the file's owner and group from the moment its name exists (fchown before the rename).
public func writeFileAtomically(path: String, bytes: [UInt8], mode: mode_t = 0o600, durable: Bool = true,
                                owner: (uid: uid_t, gid: gid_t)? = nil) throws(SystemError) {
    let directory = parentDirectory(of: path)
    let (fd, temporary) = try createTemporaryFile(besides: path, mode: mode)
    var renamed = false
    defer {
        if !renamed { _ = unlink(temporary) }
    }
    do {
        defer { fd.close() }
        _ = try check("fchmod") { fchmod(fd.rawValue, mode) }
        if let owner { _ = try check("fchown") { fchown(fd.rawValue, owner.uid, owner.gid) } }
        if let e = fd.writeAll(bytes) { throw SystemError("write", errno: e) }
        if durable { _ = try check("fsync") { fsync(fd.rawValue) } }
    }
    _ = try check("rename") { rename(temporary, path) }
    renamed = true
    if durable { try syncDirectory(directory) }
}

/// Creates `path` and any missing parents as directories with `mode` (0700 by default: the community
/// CA's state). An existing directory is fine and keeps its permissions; an existing file is an error.
public func createDirectories(path: String, mode: mode_t = 0o700) throws(SystemError) {
    var prefix = path.hasPrefix("/") ? "/" : ""
    for component in path.split(separator: "/", omittingEmptySubsequences: true) {
        prefix += (prefix.isEmpty || prefix.hasSuffix("/") ? "" : "/") + component
        let (r, e) = retryingEINTR { mkdir(prefix, mode) }
        if r == 0 || e != Errno(rawValue: EEXIST) {
            if r != 0 { throw SystemError("mkdir \(prefix)", errno: e) }
            continue
        }
        var status = stat()
        let (s, se) = retryingEINTR { stat(prefix, &status) }
        if s != 0 { throw SystemError("stat \(prefix)", errno: se) }
        if status.st_mode & S_IFMT != S_IFDIR { throw SystemError("mkdir \(prefix)", errno: .notDirectory) }
    }
}

/// The names in directory `path` (not "." and ".."), sorted: the files a store wrote there (the community
/// CA's issued certificates). Blocking, like the rest of this file.
public func directoryEntries(path: String) -> Result<[String], Errno> {
    guard let dir = opendir(path) else { return .failure(Errno.current) }
    defer { closedir(dir) }
    var names: [String] = []
    while let entry = readdir(dir) {
        let name = withUnsafePointer(to: &entry.pointee.d_name) {
            String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self))
        }
        if name != "." && name != ".." { names.append(name) }
    }
    return .success(names.sorted())
}

/// Removes the file `path`; nil when it is gone (a file that was not there is gone too).
public func removeFile(path: String) -> Errno? {
    let (r, e) = retryingEINTR { unlink(path) }
    return r == 0 || e == Errno(rawValue: ENOENT) ? nil : e
}

/// The directory part of `path` ("." for a bare file name).
private func parentDirectory(of path: String) -> String {
    guard let slash = path.lastIndex(of: "/") else { return "." }
    return slash == path.startIndex ? "/" : String(path[..<slash])
}

/// A new file named `.<name>.tmp-<pid>-<n>` next to `path`, opened for writing. O_EXCL makes sure it is
/// ours (a leftover from a crashed writer, or a link an attacker planted, makes us try the next name).
private func createTemporaryFile(besides path: String, mode: mode_t) throws(SystemError) -> (FileDescriptor, String) {
    let directory = parentDirectory(of: path)
    let name = path.split(separator: "/").last.map(String.init) ?? path
    let flags = O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW
    let stamp = monotonicNanos()
    for attempt in 0..<16 {
        let temporary = "\(directory)/.\(name).tmp-\(getpid())-\(stamp &+ UInt64(attempt))"
        let (fd, e) = retryingEINTR { open(temporary, flags, mode) }
        if fd >= 0 { return (FileDescriptor(rawValue: fd), temporary) }
        if e != Errno(rawValue: EEXIST) { throw SystemError("open \(temporary)", errno: e) }
    }
    throw SystemError("open (temporary file next to \(path))", errno: Errno(rawValue: EEXIST))
}

/// fsync(2) of a directory: makes a rename in it durable (ext4 and others order it otherwise only with
/// the next journal commit).
private func syncDirectory(_ directory: String) throws(SystemError) {
    let (fd, e) = retryingEINTR { open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
    if fd < 0 { throw SystemError("open \(directory)", errno: e) }
    defer { _ = close(fd) }
    _ = try check("fsync \(directory)") { fsync(fd) }
}
