// DNS-01 end to end without a CA: pebble-challtestsrv is the DNS server (its management API sets and
// clears TXT records, as a DNS provider's API would), an exec hook (a shell script calling curl) or an
// httpreq endpoint (a small Python server translating /present and /cleanup) sets the record, and the
// solver's propagation check must see it through DNSLookup before it says ready. Also: a hook that fails,
// a record that never appears (the timeout, with what the resolver said), requireAllRNS, and hooks never
// running at the same time.
import Glibc
import XCTest
@testable import ACME
@testable import Config
import DNS
@testable import Reactor

final class DNS01SolverTests: XCTestCase {
    private var loop: EventLoop!
    private var children: [(ChildProcess, () -> Bool)] = []
    private var dnsPort: UInt16 = 0
    private var managementPort: UInt16 = 0
    private var directory = ""

    private static func freePort() throws -> UInt16 {
        let fd = try Socket.listenTCP(SocketAddress(host: "127.0.0.1", port: 0)!)
        defer { fd.close() }
        return UInt16(fd.localAddress!.description.split(separator: ":").last!)!
    }

    override func setUpWithError() throws {
        loop = try EventLoop(backend: nil, log: Logger())
        directory = "/tmp/stoep-dns01-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        XCTAssertEqual(mkdir(directory, 0o700), 0)
        dnsPort = try Self.freePort()
        managementPort = try Self.freePort()
        try spawn("pebble-challtestsrv", ["-dns01", "127.0.0.1:\(dnsPort)", "-management", "127.0.0.1:\(managementPort)",
                                          "-http01", "", "-https01", "", "-tlsalpn01", ""])
        try waitForHTTP(port: managementPort)
    }

    override func tearDownWithError() throws {
        for (child, _) in children { child.kill() }
        try run { self.children.allSatisfy { $0.1() } }
        children = []
        try shell("rm -rf '\(directory)'")
    }

    // MARK: helpers

    private func spawn(_ path: String, _ arguments: [String]) throws {
        var exited = false
        let child = try ChildProcess(path: path, arguments: arguments, timeoutNanos: 120_000_000_000, loop: loop) { _ in exited = true }
        children.append((child, { exited }))
    }

    @discardableResult
    private func run(seconds: Double = 20, _ keep: Any? = nil, until done: @escaping () -> Bool = { false }) throws -> Bool {
        let deadline = Timer { [loop] _ in loop!.stop() }
        loop.schedule(deadline, after: UInt64(seconds * 1e9))
        var active = true
        loop.addTurnHook { [loop] in if active && done() { loop!.stop() } }
        try loop.run()
        active = false
        loop.cancel(deadline)
        _ = keep
        return done()
    }

    /// Runs a shell command to its end; its outcome.
    @discardableResult
    private func shell(_ command: String) throws -> ChildProcess.Outcome {
        var outcome: ChildProcess.Outcome?
        let child = try ChildProcess(path: "/bin/sh", arguments: ["-c", command], timeoutNanos: 20_000_000_000, loop: loop) { outcome = $0 }
        try run(child) { outcome != nil }
        return try XCTUnwrap(outcome)
    }

    private func waitForHTTP(port: UInt16) throws {
        let o = try shell("for i in $(seq 100); do curl -s -o /dev/null http://127.0.0.1:\(port)/ && exit 0; sleep 0.05; done; exit 1")
        XCTAssertEqual(o.termination, .exited(0), "nothing listens on \(port)")
    }

    private func write(_ path: String, _ text: String, mode: mode_t = 0o600) throws {
        let fd = try FileDescriptor.openForAppending(path, permissions: mode)
        XCTAssertNil(fd.writeAll(Array(text.utf8)))
        fd.close()
    }

    private func read(_ path: String) -> String {
        (try? readWholeFile(path).get()).map { String(decoding: $0, as: UTF8.self) } ?? ""
    }

    /// Runs `body` inside the loop's next turn, where `loop.now` is current (outside `run`, it is the time
    /// of the last turn, and timers scheduled then would fire early).
    private func inLoop(_ body: @escaping () -> Void) {
        loop.schedule(Timer { _ in body() }, after: 0)
    }

    private var resolver: String { "127.0.0.1:\(dnsPort)" }

    private func challenge(_ domain: String, token: String = "tok") -> ACMEChallenge {
        ACMEChallenge(kind: .dns01, domain: domain, wildcard: false, token: token, keyAuthorization: "\(token).thumb",
                      url: "https://ca.test/c/\(token)")
    }

    private func present(_ solver: DNS01Solver, _ c: ACMEChallenge, seconds: Double = 20) throws -> String? {
        var ready: String??
        inLoop { solver.present(c) { ready = .some($0) } }
        try run(seconds: seconds) { ready != nil }
        return try XCTUnwrap(ready, "ready was not called")
    }

    private func txt(_ name: String) throws -> [String] {
        var result: Result<DNSLookupResult, DNSLookupError>?
        DNSLookup.query(name, type: .txt, servers: [DNSServerAddress(resolver)!], loop: loop) { result = $0 }
        try run { result != nil }
        return try XCTUnwrap(result).get().texts
    }

    /// A lego exec hook: `present|cleanup FQDN VALUE`, or RAW `present -- DOMAIN TOKEN KEYAUTH`; each call
    /// logged (start and end) into calls.log; the TXT record set through pebble-challtestsrv's API.
    private func execHook(extra: String = "") throws -> String {
        let path = directory + "/hook.sh"
        try write(path, """
            #!/bin/sh
            echo "start $*" >> \(directory)/calls.log
            \(extra)
            case "$1" in
              present) curl -sf -d "{\\"host\\":\\"$2\\",\\"value\\":\\"$3\\"}" http://127.0.0.1:\(managementPort)/set-txt || exit 7 ;;
              cleanup) curl -sf -d "{\\"host\\":\\"$2\\"}" http://127.0.0.1:\(managementPort)/clear-txt || exit 7 ;;
            esac
            echo "hook done: $1 $2"
            echo "end $1" >> \(directory)/calls.log

            """, mode: 0o700)
        return path
    }

    private func settings(_ provider: String, resolvers: [String]? = nil) -> TraefikCertificatesResolver.DNSChallenge {
        var s = TraefikCertificatesResolver.DNSChallenge(provider: provider)
        s.resolvers = resolvers ?? [resolver]
        return s
    }

    // MARK: exec

    func testExecPresentsChecksAndCleansUp() throws {
        let hook = try execHook()
        let solver = try DNS01Solver(loop: loop, settings: settings("exec"),
                                     environment: ["EXEC_PATH": hook, "EXEC_POLLING_INTERVAL": "1"], log: loop.log)
        let c = challenge("x.test")
        XCTAssertNil(try present(solver, c))
        XCTAssertEqual(try txt("_acme-challenge.x.test"), [c.dnsRecordValue], "ready only once the record is served")
        XCTAssertTrue(read(directory + "/calls.log").contains("start present _acme-challenge.x.test. \(c.dnsRecordValue)"))
        inLoop { solver.cleanUp(c) }
        try run { self.read(self.directory + "/calls.log").contains("end cleanup") }
        XCTAssertEqual(try txt("_acme-challenge.x.test"), [])
    }

    /// `_acme-challenge.alias.test.` delegated by CNAME: the hook is given the target (lego's EffectiveFQDN),
    /// the check looks there; with LEGO_DISABLE_CNAME_SUPPORT=true, the name itself.
    func testExecFollowsTheChallengeNamesCNAME() throws {
        try shell("curl -sf -d '{\"host\":\"_acme-challenge.alias.test.\",\"target\":\"alias.test.acme.example.\"}' "
                  + "http://127.0.0.1:\(managementPort)/set-cname")
        let hook = try execHook()
        let env = ["EXEC_PATH": hook, "EXEC_POLLING_INTERVAL": "1"]
        let solver = try DNS01Solver(loop: loop, settings: settings("exec"), environment: env, log: loop.log)
        let c = challenge("alias.test")
        XCTAssertNil(try present(solver, c))
        XCTAssertEqual(try txt("alias.test.acme.example"), [c.dnsRecordValue])
        inLoop { solver.cleanUp(c) }
        try run { self.read(self.directory + "/calls.log").contains("end cleanup") }
        XCTAssertTrue(read(directory + "/calls.log").contains("start cleanup alias.test.acme.example. \(c.dnsRecordValue)"))

        var off = env
        off["LEGO_DISABLE_CNAME_SUPPORT"] = "true"
        var unchecked = settings("exec")
        unchecked.disableChecks = true
        let literal = try DNS01Solver(loop: loop, settings: unchecked, environment: off, log: loop.log)
        XCTAssertFalse(literal.followCNAMEs)
        XCTAssertNil(try present(literal, c))
        XCTAssertTrue(read(directory + "/calls.log").contains("start present _acme-challenge.alias.test. \(c.dnsRecordValue)"))
    }

    func testExecRawModeAndAFailingHook() throws {
        let hook = try execHook(extra: "[ \"$3\" = fail.test ] && { echo 'no such zone' >&2; exit 3; }")
        let solver = try DNS01Solver(loop: loop, settings: settings("exec"),
                                     environment: ["EXEC_PATH": hook, "EXEC_MODE": "RAW"], log: loop.log)
        let failure = try present(solver, challenge("fail.test"))
        XCTAssertEqual(failure, "\(hook) present fail.test: exit status 3: no such zone")
        XCTAssertTrue(read(directory + "/calls.log").contains("start present -- fail.test tok tok.thumb"))
    }

    func testARecordThatNeverAppearsTimesOut() throws {
        let hook = directory + "/noop.sh"
        try write(hook, "#!/bin/sh\nexit 0\n", mode: 0o700)
        let solver = try DNS01Solver(loop: loop, settings: settings("exec"),
                                     environment: ["EXEC_PATH": hook, "EXEC_PROPAGATION_TIMEOUT": "2", "EXEC_POLLING_INTERVAL": "1"],
                                     log: loop.log)
        let started = monotonicNanos()
        let failure = try XCTUnwrap(try present(solver, challenge("late.test")))
        XCTAssertTrue(failure.hasPrefix("the TXT record _acme-challenge.late.test. did not reach any resolver within 2 s (\(resolver): "), failure)
        let seconds = Double(monotonicNanos() - started) / 1e9
        XCTAssertGreaterThan(seconds, 2.5)  // one interval first, then 2 s of checks
        XCTAssertLessThan(seconds, 6)
    }

    func testRequireAllRNSWaitsForEveryResolver() throws {
        // A second resolver that never has the record: dnsmasq answering for .test itself.
        let other = try Self.freePort()
        try spawn("dnsmasq", ["--keep-in-foreground", "--conf-file=/dev/null", "--user=root", "--port=\(other)",
                              "--listen-address=127.0.0.1", "--bind-interfaces", "--no-resolv", "--no-hosts", "--local=/test/"])
        sleepBlocking(nanoseconds: 200_000_000)
        let hook = try execHook()
        var s = settings("exec", resolvers: [resolver, "127.0.0.1:\(other)"])
        let env = ["EXEC_PATH": hook, "EXEC_PROPAGATION_TIMEOUT": "1", "EXEC_POLLING_INTERVAL": "1"]
        let any = try DNS01Solver(loop: loop, settings: s, environment: env, log: loop.log)
        XCTAssertNil(try present(any, challenge("one.test")), "one resolver suffices")
        s.requireAllRNS = true
        let all = try DNS01Solver(loop: loop, settings: s, environment: env, log: loop.log)
        let failure = try XCTUnwrap(try present(all, challenge("all.test")))
        XCTAssertTrue(failure.contains("did not reach every resolver"), failure)
        XCTAssertTrue(failure.contains("\(resolver): sees it; 127.0.0.1:\(other): NXDOMAIN"), failure)
    }

    func testHooksNeverRunAtTheSameTime() throws {
        let hook = try execHook(extra: "sleep 0.3")
        var s = settings("exec")
        s.disableChecks = true
        let solver = try DNS01Solver(loop: loop, settings: s, environment: ["EXEC_PATH": hook], log: loop.log)
        var ready: [String?] = []
        inLoop { for domain in ["a.test", "b.test", "c.test"] { solver.present(self.challenge(domain)) { ready.append($0) } } }
        try run { ready.count == 3 }
        XCTAssertEqual(ready.count, 3)
        XCTAssertTrue(ready.allSatisfy { $0 == nil })
        let calls = read(directory + "/calls.log").split(separator: "\n").map { $0.split(separator: " ").first! }
        XCTAssertEqual(calls, ["start", "end", "start", "end", "start", "end"])
    }

    // MARK: httpreq

    /// lego's httpreq endpoint: logs each request (path, Authorization, body) and sets/clears the record.
    private func httpreqEndpoint() throws -> UInt16 {
        let port = try Self.freePort()
        let script = directory + "/endpoint.py"
        try write(script, """
            import json, sys, urllib.request
            from http.server import BaseHTTPRequestHandler, HTTPServer
            class H(BaseHTTPRequestHandler):
                def log_message(self, *a): pass
                def do_GET(self): self.send_response(200); self.end_headers()
                def do_POST(self):
                    body = self.rfile.read(int(self.headers["Content-Length"]))
                    with open("\(directory)/requests.log", "a") as f:
                        f.write(json.dumps({"path": self.path, "auth": self.headers.get("Authorization"),
                                            "type": self.headers.get("Content-Type"), "body": body.decode()}) + "\\n")
                    m = json.loads(body)
                    if m.get("fqdn", "").startswith("_acme-challenge.refused."):
                        self.send_response(403); self.end_headers(); self.wfile.write(b"not your zone"); return
                    api = "set-txt" if self.path.endswith("/present") else "clear-txt"
                    req = {"host": m["fqdn"], "value": m["value"]}
                    urllib.request.urlopen("http://127.0.0.1:\(managementPort)/" + api, json.dumps(req).encode())
                    self.send_response(200); self.end_headers()
            HTTPServer(("127.0.0.1", \(port)), H).serve_forever()

            """)
        try spawn("python3", [script])
        try waitForHTTP(port: port)
        return port
    }

    func testHTTPRequestPresentsChecksAndCleansUp() throws {
        let port = try httpreqEndpoint()
        let solver = try DNS01Solver(loop: loop, settings: settings("httpreq"),
                                     environment: ["HTTPREQ_ENDPOINT": "http://127.0.0.1:\(port)/dns", "HTTPREQ_USERNAME": "lego",
                                                   "HTTPREQ_PASSWORD": "secret", "HTTPREQ_POLLING_INTERVAL": "1"], log: loop.log)
        let c = challenge("web.test")
        XCTAssertNil(try present(solver, c))
        XCTAssertEqual(try txt("_acme-challenge.web.test"), [c.dnsRecordValue])
        inLoop { solver.cleanUp(c) }
        try run { self.read(self.directory + "/requests.log").contains("/dns/cleanup") }
        try run(seconds: 1)  // the endpoint clears the record after logging
        XCTAssertEqual(try txt("_acme-challenge.web.test"), [])
        let lines = read(directory + "/requests.log").split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 2)
        let body = "{\\\"fqdn\\\":\\\"_acme-challenge.web.test.\\\",\\\"value\\\":\\\"\(c.dnsRecordValue)\\\"}\\n"
        XCTAssertEqual(lines.first, "{\"path\": \"/dns/present\", \"auth\": \"Basic bGVnbzpzZWNyZXQ=\", \"type\": \"application/json\", \"body\": \"\(body)\"}")
        XCTAssertTrue(lines.last?.hasPrefix("{\"path\": \"/dns/cleanup\"") == true)
    }

    func testHTTPRequestRefusedAndUnreachable() throws {
        let port = try httpreqEndpoint()
        let solver = try DNS01Solver(loop: loop, settings: settings("httpreq"),
                                     environment: ["HTTPREQ_ENDPOINT": "http://127.0.0.1:\(port)"], log: loop.log)
        XCTAssertEqual(try present(solver, challenge("refused.test")),
                       "POST http://127.0.0.1:\(port)/present for refused.test: status 403: not your zone")
        let closed = try Self.freePort()
        let unreachable = try DNS01Solver(loop: loop, settings: settings("httpreq"),
                                          environment: ["HTTPREQ_ENDPOINT": "http://127.0.0.1:\(closed)"], log: loop.log)
        let failure = try XCTUnwrap(try present(unreachable, challenge("x.test")))
        XCTAssertTrue(failure.hasPrefix("POST http://127.0.0.1:\(closed)/present: connect 127.0.0.1:\(closed): Connection refused"), failure)
    }
}
