// The include directives of dnsmasq.conf, expanded in place as dnsmasq 2.90's option.c reads them, so
// that the option parser sees one list of lines, each still carrying the file and line it came from:
//   conf-file=PATH      the file's lines, where the directive stands (one_file). PATH as given: relative
//                       to the working directory, as fopen resolves it. A file already read (same device
//                       and inode, the top file included) is skipped, so loops and repeats end quietly,
//                       as dnsmasq's `filesread` list does. A missing or unreadable file is an error.
//                       `conf-file` without a value reads nothing (opt_string_alloc gives NULL).
//   conf-dir=DIR[,SUF…] every regular file of DIR in strcmp order of its path, except names starting with
//                       `.`, ending with `~` or written `#…#` (editor backups and dotfiles); `*SUF`
//                       items keep only names ending with one of them, plain items drop names ending with
//                       them (each suffix must be shorter than the name). A missing directory or an entry
//                       stat cannot reach (a dangling link) is an error, as dnsmasq dies on them.
//   servers-file=PATH   the last one given is read after every other line (dnsmasq reads it at
//                       EVENT_INIT, after the options, and again on SIGHUP); only server= and rev-server=
//                       lines (read_file with LOPT_REV_SERV: anything else is an "illegal option").
// Pure: every file access goes through `DnsmasqConfFiles`.
import Config
import Reactor

public struct DnsmasqConfIncludes<Files: DnsmasqConfFiles> {
    /// Deeper nesting than this is an error (dnsmasq has no bound; distinct files this deep are a mistake).
    public static var maxDepth: Int { 32 }

    let files: Files
    private var seen: Set<FileStatus.Identity> = []
    private var serversFile: DNSOption?
    public private(set) var errors: [DNSOptionError] = []
    public private(set) var warnings: [String] = []

    public init(files: Files) { self.files = files }

    /// `tomlLines` (stoep's [dns] table, read first) and then the file at `dnsmasqConf`, each include
    /// expanded, the servers-file's lines last. An unreadable `dnsmasqConf` is an error at line 0.
    public static func read(tomlLines: [DNSOption], dnsmasqConf: String?, files: Files)
        -> (lines: [DNSOption], errors: [DNSOptionError], warnings: [String]) {
        var includes = DnsmasqConfIncludes(files: files)
        var lines = includes.expand(tomlLines, depth: 0)
        if let path = dnsmasqConf { lines += includes.file(path, from: nil, depth: 0) }
        lines += includes.serversFileLines()
        return (lines, includes.errors, includes.warnings)
    }

    /// `lines` with every conf-file and conf-dir line replaced by what it names; servers-file remembered (and
    /// left in place: it is single-valued, DnsmasqRepeatedOptions refuses a second one in the files).
    mutating func expand(_ lines: [DNSOption], depth: Int) -> [DNSOption] {
        var out: [DNSOption] = []
        for line in lines {
            switch line.name {
            case "conf-file":
                guard let path = line.value, !path.isEmpty else {
                    warnings.append("\(line.fileAndLine): conf-file: no file named, nothing read (as dnsmasq reads nothing)")
                    continue
                }
                guard path != "-" else {
                    fail(line, "stoep reads no configuration from standard input; name a file")
                    continue
                }
                out += file(path, from: line, depth: depth + 1)
            case "conf-dir":
                out += directory(line, depth: depth + 1)
            case "servers-file":
                guard let path = line.value, !path.isEmpty else {
                    fail(line, "needs a value")
                    continue
                }
                serversFile = line
                out.append(line)  // kept in place (the parser passes over it) so that a repeat is refused there
            default:
                out.append(line)
            }
        }
        return out
    }

    /// The lines of `path` with its includes expanded; nothing when it was read before.
    mutating func file(_ path: String, from directive: DNSOption?, depth: Int) -> [DNSOption] {
        guard depth <= Self.maxDepth else {
            fail(directive, "conf-file", path: path, "\(path): included more than \(Self.maxDepth) files deep")
            return []
        }
        if case .success(let status) = files.status(of: path) {
            guard seen.insert(status.identity).inserted else { return [] }
        }
        switch files.text(of: path) {
        case .success(let text):
            return expand(DnsmasqConfReader.parse(text: text, file: path), depth: depth)
        case .failure(let error):
            fail(directive, "dnsmasq-conf", path: path, "cannot read \(path): \(error)")
            return []
        }
    }

    private mutating func directory(_ line: DNSOption, depth: Int) -> [DNSOption] {
        let items = (line.value ?? "").split(separator: ",", omittingEmptySubsequences: false).map { String(DnsmasqConfReader.trim($0)) }
        guard let directory = items.first, !directory.isEmpty else {
            warnings.append("\(line.fileAndLine): conf-dir: no directory named, nothing read (as dnsmasq reads nothing)")
            return []
        }
        var required: [String] = []
        var excluded: [String] = []
        for item in items.dropFirst() where !item.isEmpty {
            if item.hasPrefix("*") {
                if item.count > 1 { required.append(String(item.dropFirst())) }  // "*" alone: no filter
            } else {
                excluded.append(item)
            }
        }
        let names: [String]
        switch files.names(in: directory) {
        case .success(let n): names = n
        case .failure(let error):
            fail(line, "cannot access directory \(directory): \(error)")
            return []
        }
        var paths: [String] = []
        for name in names where !Self.isHiddenOrBackup(name) {
            if !required.isEmpty && !required.contains(where: { Self.hasProperSuffix(name, $0) }) { continue }
            if excluded.contains(where: { Self.hasProperSuffix(name, $0) }) { continue }
            let path = directory + "/" + name
            switch files.status(of: path) {
            case .success(let status) where status.kind == .regular: paths.append(path)
            case .success: continue  // directories, devices, sockets: only regular files are read
            case .failure(let error): fail(line, "cannot access \(path): \(error)")
            }
        }
        paths.sort { $0.utf8.lexicographicallyPrecedes($1.utf8) }  // strcmp order, as option.c inserts them
        var out: [DNSOption] = []
        for path in paths { out += file(path, from: line, depth: depth) }
        return out
    }

    /// The servers-file's server= and rev-server= lines (nothing when none was named).
    mutating func serversFileLines() -> [DNSOption] {
        guard let directive = serversFile, let path = directive.value else { return [] }
        switch files.text(of: path) {
        case .success(let text):
            var out: [DNSOption] = []
            for line in DnsmasqConfReader.parse(text: text, file: path) {
                if line.name == "server" || line.name == "rev-server" {
                    out.append(line)
                } else {
                    fail(line, "a servers-file holds only server= and rev-server= lines (dnsmasq: illegal option)")
                }
            }
            return out
        case .failure(let error):
            fail(directive, "cannot read \(path): \(error)")
            return []
        }
    }

    /// dnsmasq's filter for directory entries (option.c conf-dir, inotify.c): dotfiles and editor backups.
    public static func isHiddenOrBackup(_ name: String) -> Bool {
        name.isEmpty || name.hasSuffix("~") || name.hasPrefix(".") || (name.hasPrefix("#") && name.hasSuffix("#"))
    }

    /// `name` ends with `suffix` and is longer than it (option.c: `len > ls`).
    static func hasProperSuffix(_ name: String, _ suffix: String) -> Bool {
        let n = Array(name.utf8), x = Array(suffix.utf8)
        return n.count > x.count && Array(n.suffix(x.count)) == x
    }

    private mutating func fail(_ line: DNSOption, _ message: String) {
        errors.append(DNSOptionError(file: line.location.file, line: line.location.line, option: line.name, message: message))
    }

    /// An error at `directive`'s line, or for the top file itself (nil: line 0 of `path`).
    private mutating func fail(_ directive: DNSOption?, _ option: String, path: String, _ message: String) {
        if let directive { fail(directive, message) } else {
            errors.append(DNSOptionError(file: path, line: 0, option: option, message: message))
        }
    }
}
