// The decoding context every dynamic entry shares: which provider the tree came from, and the checks
// that follow from it (names, provider-qualified references, what label providers may leave out).

/// Handed to every dynamic entry's decode.
struct TraefikScope {
    let provider: String

    /// Label providers leave rule and service to defaults filled in from the container.
    var allowsImplicitRuleAndService: Bool { provider == "docker" || provider == "swarm" }

    func qualify(_ reference: String) -> String { TraefikDynamicConfig.qualify(reference, provider: provider) }

    /// Checks a declared name: no '@' (that separates the provider), not empty.
    func checkName(_ name: String, _ section: TraefikSection, _ log: inout TraefikIssueLog) {
        if name.isEmpty || name.contains("@") {
            log.error(section.location, section.path, "a name must be non-empty and cannot contain '@' (it separates the provider, as in \"name@file\")")
        }
    }

    /// A router's `service`, qualified. Its absence is an error except from label providers (the
    /// container's single service is linked later). `router` names the kind in the message ("TCP router").
    func routerService(_ section: TraefikSection, router: String, log: inout TraefikIssueLog) -> String? {
        let service = section.string("service", &log).map(qualify)
        if section.node("service") == nil && !allowsImplicitRuleAndService {
            log.error(section.location, section.path("service"), "\(router) has no service; expected service = \"NAME\"")
        }
        return service
    }
}
