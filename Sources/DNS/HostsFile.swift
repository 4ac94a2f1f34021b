// /etc/hosts-format text (hosts(5)): `address name [alias…]`, `#` comments. Lines or names
// that cannot be used are skipped and reported, as dnsmasq logs and skips them, so one bad
// line in a large block list never loses the rest.

public struct HostsFile: Sendable {
    public struct Entry: Equatable, Sendable {
        public var address: IPAddress
        /// The first name is the canonical one (used for PTR).
        public var names: [DNSName]
        public var line: Int
        /// Per name: written without a dot, so `expand-hosts` also answers it as name.domain (cache.c
        /// read_hostsfile tests the text as written: `nas.` has a dot and is not expanded).
        public var dotless: [Bool] = []
    }

    public struct Problem: Equatable, Sendable, CustomStringConvertible {
        public var file: String
        public var line: Int
        public var message: String
        public var description: String { "\(file):\(line): \(message)" }
    }

    /// The file name, used in log lines (`/etc/hosts name is ip`) and problems.
    public let file: String
    public let entries: [Entry]
    public let problems: [Problem]

    /// Parses `text`, which was read from `file` by the caller.
    public init(text: String, file: String) {
        self.file = file
        var entries: [Entry] = []
        var problems: [Problem] = []
        var number = 0
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
            number += 1
            let content = rawLine.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            let fields = content.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" })
            guard let first = fields.first else { continue }
            guard let address = IPAddress(String(first)) else {
                problems.append(Problem(file: file, line: number, message: "'\(first)' is not an IP address"))
                continue
            }
            var names: [DNSName] = []
            var dotless: [Bool] = []
            for field in fields.dropFirst() {
                do {
                    names.append(try DNSName(text: String(field)))
                    dotless.append(!field.contains("."))
                } catch {
                    problems.append(Problem(file: file, line: number, message: error.description))
                }
            }
            guard !names.isEmpty else {
                problems.append(Problem(file: file, line: number, message: "no usable name"))
                continue
            }
            entries.append(Entry(address: address, names: names, line: number, dotless: dotless))
        }
        self.entries = entries
        self.problems = problems
    }
}
