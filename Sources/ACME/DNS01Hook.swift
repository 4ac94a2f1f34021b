// The part of a DNS-01 provider that sets and removes the TXT record: lego's `exec` (a program) and
// `httpreq` (an HTTP endpoint). DNS01Solver runs them one at a time and checks propagation itself; a hook
// only says whether its call worked.

enum DNS01Action: String {
    case present, cleanup
}

protocol DNS01Hook: AnyObject {
    /// "exec", "httpreq": the provider's name for log lines.
    var name: String { get }
    /// The propagation timeout and polling interval the provider's environment set (lego's defaults:
    /// 60 s and 2 s).
    var propagationTimeout: UInt64 { get }
    var pollingInterval: UInt64 { get }
    /// Runs `action` for `challenge`, whose record lives at `fqdn` (its `dnsRecordName`, or the end of
    /// that name's CNAME chain); `done(nil)` when it worked, `done(reason)` when not. Called on the loop,
    /// once per call, never from inside `run`.
    func run(_ action: DNS01Action, _ challenge: ACMEChallenge, fqdn: String, done: @escaping (String?) -> Void)
}

enum DNS01Defaults {
    /// lego's dns01.DefaultPropagationTimeout and DefaultPollingInterval.
    static let propagationTimeout: UInt64 = 60_000_000_000
    static let pollingInterval: UInt64 = 2_000_000_000
}
