// The file system as the dnsmasq.conf include directives see it (conf-file, conf-dir, servers-file):
// a file's text, its stat(2) identity and kind, a directory's names. One protocol so that the expansion
// (DnsmasqConfIncludes) is pure and the fuzzer and the unit tests can give it files without touching disk.
import Reactor

public protocol DnsmasqConfFiles {
    /// The whole text of `path`, or why it cannot be read (strerror's words).
    func text(of path: String) -> Result<String, DnsmasqConfFileError>
    /// stat(2) of `path`, symbolic links followed.
    func status(of path: String) -> Result<FileStatus, DnsmasqConfFileError>
    /// The names in `directory`, without "." and "..", in any order.
    func names(in directory: String) -> Result<[String], DnsmasqConfFileError>
}

/// Why a file or directory could not be used, in the words dnsmasq's messages give (strerror).
public struct DnsmasqConfFileError: Error, Equatable, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// The real files, through the Reactor's blocking file calls (start-up and reloads only).
public struct DnsmasqConfDisk: DnsmasqConfFiles {
    public init() {}

    public func text(of path: String) -> Result<String, DnsmasqConfFileError> {
        readWholeFile(path).map { String(decoding: $0, as: UTF8.self) }.mapError { DnsmasqConfFileError($0.description) }
    }

    public func status(of path: String) -> Result<FileStatus, DnsmasqConfFileError> {
        FileStatus.of(path).mapError { DnsmasqConfFileError($0.description) }
    }

    public func names(in directory: String) -> Result<[String], DnsmasqConfFileError> {
        directoryEntries(path: directory).mapError { DnsmasqConfFileError($0.description) }
    }
}

/// Files held in memory (path → text; a path ending in "/" lists a directory's names): the fuzzer's and
/// the unit tests' file system. Every path is its own inode unless `links` names another path for it.
public struct DnsmasqConfMemoryFiles: DnsmasqConfFiles {
    public var files: [String: String]
    public var directories: [String: [String]]
    /// path → the path whose file it is (a symbolic or hard link: one identity).
    public var links: [String: String]

    public init(files: [String: String] = [:], directories: [String: [String]] = [:], links: [String: String] = [:]) {
        self.files = files
        self.directories = directories
        self.links = links
    }

    private func resolved(_ path: String) -> String { links[path] ?? path }

    public func text(of path: String) -> Result<String, DnsmasqConfFileError> {
        files[resolved(path)].map { .success($0) } ?? .failure(DnsmasqConfFileError("No such file or directory"))
    }

    public func status(of path: String) -> Result<FileStatus, DnsmasqConfFileError> {
        let target = resolved(path)
        let kind: FileStatus.Kind
        if files[target] != nil { kind = .regular } else if directories[target] != nil { kind = .directory } else {
            return .failure(DnsmasqConfFileError("No such file or directory"))
        }
        var hasher = Hasher()
        hasher.combine(target)
        return .success(FileStatus(identity: .init(device: 1, inode: UInt64(bitPattern: Int64(hasher.finalize()))), kind: kind))
    }

    public func names(in directory: String) -> Result<[String], DnsmasqConfFileError> {
        directories[resolved(directory)].map { .success($0) } ?? .failure(DnsmasqConfFileError("No such file or directory"))
    }
}
