// `services[n]` of a weighted table: HTTP `weighted` and `highestRandomWeight`, TCP `weighted` (UDP's
// weighted entries are read in TraefikUDP: Traefik's UDP config has its own type, and stoep checks
// their name before the weight).

/// `weighted.services[n]`: a share of traffic for another service (qualified name).
public struct TraefikWeightedService: Sendable, Hashable {
    public var name: String
    public var weight: Int64
    /// The name as written (maybe unqualified): what Traefik's sticky cookie value hashes.
    public var written: String

    public init(name: String, weight: Int64 = 1, written: String? = nil) {
        self.name = name
        self.weight = weight
        self.written = written ?? name
    }
}

extension TraefikWeightedService {
    /// The `services` list of a weighted `body`: each entry needs a name; weight 0...2^31-1, default 1
    /// (Traefik's *int defaulted to 1). An entry without a name is reported and left out.
    static func decodeList(_ body: TraefikSection, scope: TraefikScope, log: inout TraefikIssueLog) -> [TraefikWeightedService] {
        (body.sections("services", &log) ?? []).compactMap { entry in
            entry.warnUnknownKeys(allowed: ["name", "weight"], log: &log)
            let weight = entry.integer("weight", in: 0...Int64(Int32.max), &log) ?? 1
            guard let name = entry.string("name", &log), !name.isEmpty else {
                log.error(entry.location, entry.path("name"), "weighted entry has no service name; expected name = \"SERVICE\"")
                return nil
            }
            return TraefikWeightedService(name: scope.qualify(name), weight: weight, written: name)
        }
    }
}
