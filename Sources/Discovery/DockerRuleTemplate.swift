// Traefik's `defaultRule`: a Go template evaluated per container, by default
// ``Host(`{{ normalize .Name }}`)``. stoep evaluates the forms used in practice rather than embedding a
// template engine: `{{ .Name }}`, `{{ .ContainerName }}`, `{{ index .Labels "key" }}`, each optionally
// through `normalize`, `lower` or `upper`. Anything else is an error naming the action.

public struct DockerRuleTemplate: Sendable, Hashable {
    public let text: String

    public init(_ text: String) { self.text = text }

    /// The values a template can name: `.Name` is the service name (compose `service_project` or the
    /// container name, normalized), `.ContainerName` the container's name, `.Labels` its labels.
    public struct Model {
        public var name: String
        public var containerName: String
        public var labels: [String: String]

        public init(name: String, containerName: String, labels: [String: String]) {
            self.name = name
            self.containerName = containerName
            self.labels = labels
        }
    }

    public struct Failure: Error, CustomStringConvertible {
        public let action: String
        public var description: String { "defaultRule: cannot evaluate {{\(action)}} (supported: .Name, .ContainerName, index .Labels \"key\", with normalize/lower/upper)" }
    }

    /// The rule for `model`; throws for an action outside the supported forms.
    public func render(_ model: Model) throws(Failure) -> String {
        var out = ""
        var rest = Substring(text)
        while let open = rest.find("{{") {
            out += rest[..<open.lowerBound]
            guard let close = rest[open.upperBound...].find("}}") else { throw Failure(action: String(rest[open.upperBound...])) }
            let action = rest[open.upperBound..<close.lowerBound]
            out += try evaluate(action, model)
            rest = rest[close.upperBound...]
        }
        return out + rest
    }

    private func evaluate(_ action: Substring, _ model: Model) throws(Failure) -> String {
        var words = Self.words(action.trimmingSpaces)
        var functions: [String] = []
        while let first = words.first, ["normalize", "lower", "upper"].contains(first) {
            functions.append(first)
            words.removeFirst()
        }
        var value: String
        switch words.count {
        case 1 where words[0] == ".Name": value = model.name
        case 1 where words[0] == ".ContainerName": value = model.containerName
        case 3 where words[0] == "index" && words[1] == ".Labels": value = model.labels[words[2]] ?? ""
        default: throw Failure(action: String(action))
        }
        for f in functions.reversed() {
            switch f {
            case "normalize": value = DockerNames.normalize(value)
            case "lower": value = value.lowercased()
            default: value = value.uppercased()
            }
        }
        return value
    }

    /// Space-separated words; a double-quoted word loses its quotes.
    private static func words(_ text: Substring) -> [String] {
        text.split(separator: " ").map { w in
            w.count >= 2 && w.first == "\"" && w.last == "\"" ? String(w.dropFirst().dropLast()) : String(w)
        }
    }
}

public enum DockerNames {
    /// Traefik's provider.Normalize: split on every character that is not a letter or a digit, drop empty
    /// parts, join with "-" ("web_myproj" → "web-myproj", "/a..b__c" → "a-b-c").
    public static func normalize(_ name: String) -> String {
        name.split(whereSeparator: { !($0.isLetter || $0.isNumber) }).joined(separator: "-")
    }

    /// Traefik's getServiceName: compose containers are `<service>_<project>`, others their name (a Swarm
    /// task its service's name, `stack_svc`); normalized.
    public static func serviceName(_ container: DockerContainer) -> String {
        if let service = container.labels["com.docker.compose.service"], let project = container.labels["com.docker.compose.project"] {
            return normalize(service + "_" + project)
        }
        return normalize(container.service ?? container.name)
    }
}

extension Substring {
    /// The first occurrence of `needle` (no Foundation here).
    func find(_ needle: String) -> Range<Index>? {
        let n = Array(needle.utf8)
        let u = utf8
        var i = u.startIndex
        while i != u.endIndex {
            var j = i
            var k = 0
            while k < n.count, j != u.endIndex, u[j] == n[k] { j = u.index(after: j); k += 1 }
            if k == n.count { return i..<j }
            i = u.index(after: i)
        }
        return nil
    }

    var trimmingSpaces: Substring {
        var s = self
        while s.first == " " || s.first == "\t" { s = s.dropFirst() }
        while s.last == " " || s.last == "\t" { s = s.dropLast() }
        return s
    }
}
