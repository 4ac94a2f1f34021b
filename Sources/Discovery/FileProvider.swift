// Traefik's file provider: `providers.file.filename`, or every .toml/.yml/.yaml directly in
// `providers.file.directory` (sorted by name), each decoded for the `file` namespace. Read at start, on
// SIGHUP, and, with `watch` (Traefik's default), whenever inotify reports a change.
//
// A file that does not parse keeps its last good version, if it had one, and is reported with file:line
// (`show config-errors`); the other files are applied. Traefik instead refuses the whole provider's
// update while one file is broken; per file is what the operator of a directory of configs wants, and a
// half-saved file never takes its routes down.
import Config
import Glibc

public struct FileProviderSnapshot: Equatable, Sendable {
    /// In file order.
    public var configs: [TraefikDynamicConfig] = []
    /// Parse errors (file skipped or kept at its last good version) and decoding issues (entries skipped).
    public var issues: [String] = []
    /// The last version of each file that parsed, by path.
    public var lastGood: [String: TraefikDynamicConfig] = [:]

    public init() {}
}

public enum FileProviderReader {
    /// Reads every file of `provider`; `previous` supplies the last good versions of files that now fail.
    /// `environment` is what templates' `env` and `expandenv` read (the process environment).
    public static func read(_ provider: TraefikFileProvider, previous: FileProviderSnapshot = FileProviderSnapshot(),
                            environment: [String: String]) -> FileProviderSnapshot {
        var snapshot = FileProviderSnapshot()
        for path in files(provider) {
            let (tree, errors) = ConfigLoader.loadTemplatedTree(path: path, environment: environment)
            if errors.isEmpty {
                let (dynamic, issues) = TraefikDynamicConfig.decode(tree, provider: "file")
                snapshot.configs.append(dynamic)
                snapshot.lastGood[path] = dynamic
                snapshot.issues += issues.map(\.description)
            } else if let kept = previous.lastGood[path] {
                snapshot.configs.append(kept)
                snapshot.lastGood[path] = kept
                snapshot.issues += errors.map { "\($0) (file not applied; its previous version keeps serving)" }
            } else {
                snapshot.issues += errors.map { "\($0) (file skipped)" }
            }
        }
        return snapshot
    }

    public static func isDirectory(_ path: String) -> Bool {
        guard let d = opendir(path) else { return false }
        closedir(d)
        return true
    }

    /// The provider's files: `filename`, or every .toml/.yml/.yaml under `directory`, subdirectories
    /// included as Traefik reads them (sorted; dot files and directories skipped, as editors' temporary
    /// files are). The watch covers the top directory only, as Traefik's does.
    public static func files(_ p: TraefikFileProvider) -> [String] {
        if let f = p.filename { return [f] }
        guard let dir = p.directory else { return [] }
        var out: [String] = []
        collect(dir, depth: 0, into: &out)
        return out.sorted()
    }

    /// Deep enough for any real layout, and a bound against a symlink loop.
    private static let maximumDepth = 8

    private static func collect(_ dir: String, depth: Int, into out: inout [String]) {
        guard depth <= maximumDepth, let d = opendir(dir) else { return }
        defer { closedir(d) }
        while let e = readdir(d) {
            let name = withUnsafeBytes(of: e.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name.hasPrefix(".") { continue }
            let path = dir + "/" + name
            if ConfigFormat.detect(path: name) != nil {
                out.append(path)
            } else if e.pointee.d_type == UInt8(DT_DIR) || (e.pointee.d_type == UInt8(DT_UNKNOWN) && isDirectory(path)) {
                collect(path, depth: depth + 1, into: &out)
            }
        }
    }
}
