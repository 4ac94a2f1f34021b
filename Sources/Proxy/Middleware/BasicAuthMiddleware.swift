// Traefik's `basicAuth` middleware (pkg/middlewares/auth/basic_auth.go; reference §4): the request must carry
// `Authorization: Basic base64(user:password)` for a configured user whose htpasswd hash the password matches;
// otherwise 401 with the realm's challenge.
import PKI
import Config
import Glibc
import HTTP
import Reactor

/// A basicAuth configuration stoep cannot use, said so the user can find the entry (the caller adds the
/// middleware's name).
struct BasicAuthConfigError: Error, CustomStringConvertible {
    let description: String
}

final class BasicAuthMiddleware: HTTPMiddleware {
    let name: String
    let realm: String
    let removeHeader: Bool
    /// Upstream header that receives the authenticated user's name; nil for none.
    let headerField: String?
    /// User name (its bytes, compared exactly as Go compares strings) → htpasswd hash.
    private let hashes: [[UInt8]: String]
    /// Checked for unknown users so that they cost as much as a known one (no user enumeration by timing);
    /// the costliest configured hash, since an attacker would compare against the slowest real users.
    private let decoyHash: String?
    private(set) var verified = VerifiedCredentials(capacity: 256)

    private init(name: String, config: TraefikBasicAuth, hashes: [[UInt8]: String], decoyHash: String?) {
        self.name = name
        realm = config.realm.isEmpty ? "traefik" : config.realm
        removeHeader = config.removeHeader
        headerField = config.headerField.flatMap { $0.isEmpty ? nil : $0 }
        self.hashes = hashes
        self.decoyHash = decoyHash
    }

    /// Builds the middleware, reading `usersFile` now (blocking: this runs at configuration load, never on
    /// the loop). The file's entries come first and `users` entries override them by name, as in Traefik.
    /// Fails on an unreadable file or an entry that is not exactly "name:hash".
    static func make(name: String, config: TraefikBasicAuth) -> Result<BasicAuthMiddleware, BasicAuthConfigError> {
        var entries: [(text: String, place: String)] = []
        if let path = config.usersFile, !path.isEmpty {
            switch readLines(path) {
            case .success(let lines): entries += lines.map { ($0.text, "usersFile \(path):\($0.line)") }
            case .failure(let why): return .failure(why)
            }
        }
        entries += config.users.enumerated().map { ($0.element, "users[\($0.offset)]") }
        var hashes: [[UInt8]: String] = [:]
        var decoy: (hash: String, rank: Int)? = nil
        for entry in entries {
            // Traefik splits on every ":" and wants exactly two parts (a bcrypt hash has no ":").
            let parts = Array(entry.text.utf8).split(separator: UInt8(ascii: ":"), omittingEmptySubsequences: false)
            guard parts.count == 2 else {
                // Only the name: the rest may be a hash, or a password typed by mistake.
                let shown = parts.first.map { "'\(String(decoding: $0, as: UTF8.self)):…'" } ?? "''"
                return .failure(BasicAuthConfigError(description:
                    "\(entry.place) \(shown): expected name:hash with exactly one ':'"))
            }
            let hash = String(decoding: parts[1], as: UTF8.self)
            hashes[Array(parts[0])] = hash
            let rank = costRank(hash)
            if decoy.map({ rank > $0.rank }) ?? true { decoy = (hash, rank) }
        }
        return .success(BasicAuthMiddleware(name: name, config: config, hashes: hashes, decoyHash: decoy?.hash))
    }

    private static func costRank(_ hash: String) -> Int {
        switch PasswordHash.scheme(of: hash) {
        case .sha1: return 0
        case .md5Crypt: return 1
        case .bcrypt: return 2
        }
    }

    func handle(_ request: RequestView, _ forward: inout ForwardedRequest, scheme: String) -> LocalResponse? {
        // Go's Header.Get: the first Authorization field.
        guard let field = request.head.fields.first(where: { HTTPASCII.equalsIgnoringCase(request.bytes[$0.name], "Authorization") }),
              let user = authenticate(Array(request.bytes[field.value])) else {
            return .unauthorized(realm: realm)
        }
        if removeHeader { forward.removeHeaders.insert("authorization") }
        if let headerField { forward.setHeaders.append((headerField, user)) }
        return nil
    }

    /// The user an Authorization value authenticates, or nil. A value that verified before is answered from
    /// `verified` without hashing again: a browser resends the same header with every request, and a bcrypt
    /// check (tens of milliseconds) on this single-threaded loop would stall every other connection meanwhile.
    func authenticate(_ authorization: [UInt8]) -> String? {
        if let user = verified.user(for: authorization) { return user }
        guard let (user, password) = Self.credentials(authorization) else { return nil }
        guard let hash = hashes[user] else {
            if let decoyHash { _ = PasswordHash.verify(password: password, hash: decoyHash) }
            return nil
        }
        guard PasswordHash.verify(password: password, hash: hash) else { return nil }
        let name = String(decoding: user, as: UTF8.self)
        verified.remember(authorization, user: name)
        return name
    }

    /// Go's Request.BasicAuth: "Basic " (any case), standard base64, split at the first ":".
    static func credentials(_ authorization: [UInt8]) -> (user: [UInt8], password: [UInt8])? {
        let prefix = "Basic "
        guard authorization.count >= prefix.utf8.count,
              HTTPASCII.equalsIgnoringCase(authorization[0..<prefix.utf8.count], prefix.utf8),
              let decoded = Base64.decode(authorization[prefix.utf8.count...]),
              let colon = decoded.firstIndex(of: UInt8(ascii: ":")) else { return nil }
        return (Array(decoded[..<colon]), Array(decoded[(colon + 1)...]))
    }

    /// An htpasswd file's entries with their line numbers: lines trimmed, blank and "#" lines skipped
    /// (Traefik's getLinesFromFile).
    static func readLines(_ path: String) -> Result<[(text: String, line: Int)], BasicAuthConfigError> {
        // An htpasswd line is under 100 bytes; a bigger file is the wrong file.
        let bytes: [UInt8]
        switch readWholeFile(path, limit: maximumUsersFileBytes) {
        case .success(let read):
            bytes = read
        case .failure(.system(let e)):
            return .failure(BasicAuthConfigError(description: "cannot read usersFile '\(path)': \(e)"))
        case .failure(.tooLarge):
            return .failure(BasicAuthConfigError(description: "usersFile '\(path)': larger than 1 MiB; expected an htpasswd file"))
        }
        var lines: [(text: String, line: Int)] = []
        for (index, raw) in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).enumerated() {
            // Go's TrimSpace, for the ASCII spaces an htpasswd file can hold (tab, LF, VT, FF, CR, space).
            let isSpace = { (b: UInt8) in b == 0x20 || (0x09...0x0D).contains(b) }
            let trimmed = raw.drop(while: isSpace).reversed().drop(while: isSpace).reversed()
            let text = String(decoding: trimmed, as: UTF8.self)
            if !text.isEmpty && !text.hasPrefix("#") { lines.append((text, index + 1)) }
        }
        return .success(lines)
    }

    private static let maximumUsersFileBytes = 1 << 20
}
