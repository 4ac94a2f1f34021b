// What stat(2) says about a path, for configuration readers that must act as dnsmasq's option.c does:
// read each file once (it remembers device and inode), take only regular files from a directory, and
// tell a missing directory from an empty one. Blocking, like readWholeFile: start-up and reloads only.
import Glibc

public struct FileStatus: Equatable, Sendable {
    public enum Kind: Equatable, Sendable {
        case regular, directory, other
    }

    /// Device and inode: one file reached by two paths (a symbolic link, `a/../a`) is one identity.
    public struct Identity: Hashable, Sendable {
        public let device: UInt64
        public let inode: UInt64
        public init(device: UInt64, inode: UInt64) {
            self.device = device
            self.inode = inode
        }
    }

    public let identity: Identity
    public let kind: Kind

    public init(identity: Identity, kind: Kind) {
        self.identity = identity
        self.kind = kind
    }

    /// stat(2) of `path` (symbolic links followed, as dnsmasq's stat calls do).
    public static func of(_ path: String) -> Result<FileStatus, Errno> {
        var status = stat()
        let (r, e) = retryingEINTR { stat(path, &status) }
        guard r == 0 else { return .failure(e) }
        let kind: Kind
        switch status.st_mode & S_IFMT {
        case S_IFREG: kind = .regular
        case S_IFDIR: kind = .directory
        default: kind = .other
        }
        return .success(FileStatus(identity: Identity(device: UInt64(status.st_dev), inode: UInt64(status.st_ino)), kind: kind))
    }
}
