// Traefik's acme.json (v2 and v3 layout): per resolver, `Certificates[]` with base64 PEM `certificate`
// and `key` and `domain.main`/`domain.sans`. Community boxes get it from a renewal job elsewhere (their
// DNS challenge cannot run on the box); stoep only reads it — issuing is a later item.
import JSON
import Reactor

enum ACMEStorage {
    struct Entry {
        let resolver: String
        let main: String
        let certificatePEM: [UInt8]
        let keyPEM: [UInt8]
    }

    /// Every certificate in the file for the resolvers named in `resolvers` (all when empty). Problems
    /// name the file, the resolver and the domain; a bad entry is skipped, the others are kept.
    static func read(_ bytes: [UInt8], path: String, resolvers: Set<String> = []) -> (entries: [Entry], problems: [String]) {
        let root: JSONValue
        do {
            root = try JSONParser.parse(bytes)
        } catch {
            return ([], ["\(path): not valid JSON (\(error)); no certificates read from it"])
        }
        guard let members = root.objectValue else { return ([], ["\(path): expected a JSON object of resolvers"]) }
        var entries: [Entry] = []
        var problems: [String] = []
        for member in members where resolvers.isEmpty || resolvers.contains(member.key) {
            // Traefik v1 wrote the certificates at the top level under "DomainsCertificate": not supported.
            guard let list = member.value["Certificates"]?.arrayValue else { continue }
            for (i, c) in list.enumerated() {
                let main = c["domain"]?["main"]?.stringValue ?? c["Domain"]?["Main"]?.stringValue ?? "#\(i)"
                let where_ = "\(path) (\(member.key)) \(main)"
                guard let certText = c["certificate"]?.stringValue ?? c["Certificate"]?.stringValue,
                      let keyText = c["key"]?.stringValue ?? c["Key"]?.stringValue else {
                    problems.append("\(where_): no certificate or key; skipped")
                    continue
                }
                guard let cert = Base64.decode(Array(certText.utf8)), let key = Base64.decode(Array(keyText.utf8)) else {
                    problems.append("\(where_): certificate or key is not base64; skipped")
                    continue
                }
                entries.append(Entry(resolver: member.key, main: main, certificatePEM: cert, keyPEM: key))
            }
        }
        return (entries, problems)
    }
}
