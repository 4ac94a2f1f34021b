// Traefik's acme.json, read and written in its exact layout so that a box can switch between Traefik and
// stoep either way and keep every certificate and the account (docs/tls.md):
//   { "RESOLVER": { "Account": { "Email", "Registration": { "body": {...}, "uri" }, "PrivateKey", "KeyType" },
//                   "Certificates": [ { "domain": { "main", "sans" }, "certificate", "key", "Store": "default" } ] } }
// PrivateKey is base64 of the PKCS#1 RSA key (Traefik parses nothing else); certificate and key are
// base64 of PEM. Written as Go's json.MarshalIndent writes it: two-space indent, map keys sorted, struct
// fields in declaration order, empty `sans` left out. Resolvers stoep does not run are kept as read.
import JSON
import PKI

public struct ACMEStorageDocument: Sendable {
    public struct Account: Sendable, Equatable {
        public var email: String
        /// The account key, PKCS#1 DER (RSA).
        public var privateKeyDER: [UInt8]
        /// Registration.body as the CA returned it (JSON), and Registration.uri (the account URL).
        public var registrationBody: JSONValue?
        public var registrationURI: String?

        public init(email: String, privateKeyDER: [UInt8], registrationBody: JSONValue?, registrationURI: String?) {
            self.email = email
            self.privateKeyDER = privateKeyDER
            self.registrationBody = registrationBody
            self.registrationURI = registrationURI
        }
    }

    public struct Certificate: Sendable, Equatable {
        public var main: String
        public var sans: [String]
        public var certificatePEM: [UInt8]
        public var keyPEM: [UInt8]
        public var store: String

        public init(main: String, sans: [String], certificatePEM: [UInt8], keyPEM: [UInt8], store: String = "default") {
            self.main = main
            self.sans = sans
            self.certificatePEM = certificatePEM
            self.keyPEM = keyPEM
            self.store = store
        }

        /// main then sans, as ordered.
        public var names: [String] { [main] + sans }
    }

    public struct Resolver: Sendable, Equatable {
        public var account: Account?
        public var certificates: [Certificate] = []
        public init() {}
    }

    /// By resolver name; each written under its own top-level key.
    public var resolvers: [String: Resolver] = [:]

    public init() {}

    /// Reads a file's bytes; empty bytes are an empty document (Traefik creates the file empty). Problems
    /// name the resolver and entry; a bad entry is skipped, the rest kept.
    public static func parse(_ bytes: [UInt8], path: String) -> (ACMEStorageDocument, problems: [String]) {
        var doc = ACMEStorageDocument()
        if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) { return (doc, []) }
        let root: JSONValue
        do {
            root = try JSONParser.parse(bytes)
        } catch {
            return (doc, ["\(path): not valid JSON (\(error))"])
        }
        guard let members = root.objectValue else { return (doc, ["\(path): expected a JSON object of resolvers"]) }
        var problems: [String] = []
        for member in members {
            var resolver = Resolver()
            let a = member.value["Account"]
            if let a, !a.isNull, a["PrivateKey"] != nil {
                let key = a["PrivateKey"]?.stringValue.flatMap { Base64.decode(Array($0.utf8)) }
                if let key {
                    // An empty uri is no uri (it is not written back: the document must read back the same).
                    let uri = a["Registration"]?["uri"]?.stringValue
                    resolver.account = Account(email: a["Email"]?.stringValue ?? "", privateKeyDER: key,
                                               registrationBody: a["Registration"]?["body"],
                                               registrationURI: uri?.isEmpty == true ? nil : uri)
                } else {
                    problems.append("\(path) (\(member.key)): the account has no readable PrivateKey; a new account will be registered")
                }
            }
            for (i, c) in (member.value["Certificates"]?.arrayValue ?? []).enumerated() {
                let main = c["domain"]?["main"]?.stringValue ?? c["Domain"]?["Main"]?.stringValue ?? ""
                let sans = (c["domain"]?["sans"] ?? c["Domain"]?["SANs"])?.arrayValue?.compactMap(\.stringValue) ?? []
                let at = "\(path) (\(member.key)) \(main.isEmpty ? "#\(i)" : main)"
                guard let certText = c["certificate"]?.stringValue ?? c["Certificate"]?.stringValue,
                      let keyText = c["key"]?.stringValue ?? c["Key"]?.stringValue else {
                    problems.append("\(at): no certificate or key; skipped")
                    continue
                }
                guard let cert = Base64.decode(Array(certText.utf8)), let key = Base64.decode(Array(keyText.utf8)) else {
                    problems.append("\(at): certificate or key is not base64; skipped")
                    continue
                }
                resolver.certificates.append(Certificate(main: main, sans: sans, certificatePEM: cert, keyPEM: key,
                                                         store: c["Store"]?.stringValue ?? "default"))
            }
            doc.resolvers[member.key] = resolver
        }
        return (doc, problems)
    }

    /// The file's bytes, as Traefik writes them.
    public func serialized() -> [UInt8] {
        var w = GoIndentedJSON()
        w.begin("{")
        for (name, r) in resolvers.sorted(by: { $0.key < $1.key }) {
            w.key(name)
            w.begin("{")
            w.key("Account")
            if let a = r.account {
                w.begin("{")
                w.key("Email"); w.string(a.email)
                w.key("Registration")
                if a.registrationBody == nil && a.registrationURI == nil {
                    w.literal("null")
                } else {
                    w.begin("{")
                    // A body the file did not have is not made up (found by the acme-json fuzz target: an
                    // empty object written for it read back as a different document).
                    if let body = a.registrationBody { w.key("body"); w.value(body) }
                    if let uri = a.registrationURI, !uri.isEmpty { w.key("uri"); w.string(uri) }
                    w.end("}")
                }
                w.key("PrivateKey"); w.string(Base64.encode(a.privateKeyDER))
                // Traefik 2 read the account key's type from here; Traefik 3 ignores it. Kept for both.
                w.key("KeyType"); w.string("4096")
                w.end("}")
            } else {
                w.literal("null")
            }
            w.key("Certificates")
            if r.certificates.isEmpty {
                w.literal("null")
            } else {
                w.begin("[")
                for c in r.certificates {
                    w.begin("{")
                    w.key("domain")
                    w.begin("{")
                    w.key("main"); w.string(c.main)
                    if !c.sans.isEmpty {
                        w.key("sans")
                        w.begin("[")
                        for s in c.sans { w.string(s) }
                        w.end("]")
                    }
                    w.end("}")
                    w.key("certificate"); w.string(Base64.encode(c.certificatePEM))
                    w.key("key"); w.string(Base64.encode(c.keyPEM))
                    w.key("Store"); w.string(c.store)
                    w.end("}")
                }
                w.end("]")
            }
            w.end("}")
        }
        w.end("}")
        return w.bytes
    }
}

/// Go's json.MarshalIndent(v, "", "  ") layout: one member or element a line, ": " after keys, strings as
/// Go escapes them (GoJSON), an empty object or array as {} / [].
struct GoIndentedJSON {
    private(set) var bytes: [UInt8] = []
    private var depth = 0
    /// Per open level: whether an element was written (comma and line break before the next).
    private var written: [Bool] = []
    private var afterKey = false

    private mutating func element() {
        if afterKey { afterKey = false; return }
        if let last = written.last {
            if last { bytes.append(UInt8(ascii: ",")) }
            written[written.count - 1] = true
            newline()
        }
    }

    private mutating func newline() {
        bytes.append(0x0A)
        bytes += [UInt8](repeating: 0x20, count: depth * 2)
    }

    mutating func begin(_ bracket: Character) {
        element()
        bytes.append(UInt8(ascii: bracket == "{" ? "{" : "["))
        depth += 1
        written.append(false)
    }

    mutating func end(_ bracket: Character) {
        depth -= 1
        if written.removeLast() { newline() }
        bytes.append(UInt8(ascii: bracket == "}" ? "}" : "]"))
    }

    mutating func key(_ name: String) {
        element()
        quoted(name)
        bytes += Array(": ".utf8)
        afterKey = true
    }

    mutating func string(_ s: String) {
        element()
        quoted(s)
    }

    mutating func literal(_ text: String) {
        element()
        bytes += Array(text.utf8)
    }

    /// A parsed JSON value (the registration body), re-indented.
    mutating func value(_ v: JSONValue) {
        switch v {
        case .object(let members):
            begin("{")
            for m in members { key(m.key); value(m.value) }
            end("}")
        case .array(let items):
            begin("[")
            for i in items { value(i) }
            end("]")
        case .string(let s): string(s)
        default: literal(v.jsonText)
        }
    }

    private mutating func quoted(_ s: String) {
        GoJSON.appendString(&bytes, s)
    }
}
