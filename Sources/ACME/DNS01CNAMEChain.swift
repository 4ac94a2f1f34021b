// lego follows CNAMEs from `_acme-challenge.DOMAIN.` before it calls the provider (challenge/dns01's
// EffectiveFQDN; off with LEGO_DISABLE_CNAME_SUPPORT=true): a zone that delegates its challenges with
// `_acme-challenge.example.org. CNAME example.org.acme.provider.net.` gets the record set at the target,
// the name the CA ends up reading. stoep does the same with DNSLookup, asking the propagation check's
// resolvers for CNAME records, at most 50 steps (lego's bound), and stopping at the first name that has no
// CNAME, an error or an rcode other than NOERROR.
import DNS
import Reactor

enum DNS01CNAMEChain {
    static let maxSteps = 50

    /// The name at the end of `name`'s CNAME chain (`name` itself when it has none), with a trailing dot.
    static func follow(_ name: String, resolvers: [DNSServerAddress], loop: EventLoop, log: Logger,
                       steps: Int = 0, done: @escaping (String) -> Void) {
        guard steps < maxSteps, !resolvers.isEmpty else { return done(name) }
        DNSLookup.query(name, type: .cname, servers: resolvers, loop: loop) { result in
            guard case .success(let answer) = result, answer.rcode == .noError,
                  let owner = try? DNSName(text: name),
                  let target = answer.answers.lazy.compactMap({ r -> DNSName? in
                      if r.name == owner, case .name(let t) = r.data, r.type == .cname { return t }
                      return nil
                  }).first else { return done(name) }
            let next = "\(target)."
            log.info("dns-01: \(name) is a CNAME of \(next); the record goes there")
            follow(next, resolvers: resolvers, loop: loop, log: log, steps: steps + 1, done: done)
        }
    }

    /// LEGO_DISABLE_CNAME_SUPPORT as Go's strconv.ParseBool reads it; nil when unset or not a boolean.
    static func disabled(_ environment: [String: String]) -> Bool? {
        switch environment["LEGO_DISABLE_CNAME_SUPPORT"] {
        case "1", "t", "T", "true", "TRUE", "True": return true
        case "0", "f", "F", "false", "FALSE", "False": return false
        default: return nil
        }
    }
}
