// The DNS-01 providers' conventions, as lego has them (providers/dns/exec, providers/dns/httpreq): the TXT
// value, exec's command lines in both modes, httpreq's bodies, headers and URL, and how each environment
// variable is honoured, defaulted or refused by name.
import XCTest
@testable import ACME
@testable import Config
import Reactor

final class DNS01HookTests: XCTestCase {
    static let challenge = ACMEChallenge(
        kind: .dns01, domain: "x.test", wildcard: false, token: "evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA",
        keyAuthorization: "evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA.nP1qzpXGymHBrUEepNY9HCsQk7K8KhOypzEt62jcerQ",
        url: "https://ca.test/chall/1")
    /// Python's base64.urlsafe_b64encode(hashlib.sha256(keyAuthorization).digest()).rstrip("=").
    static let value = "NGwKoXBgCT8JhEa0bK7AwfSqHyu_ZWeugV07fLGIVq0"

    /// A logger writing into a pipe, and a way to read what it wrote.
    final class LogCapture {
        let log = Logger()
        let readEnd: FileDescriptor
        init() throws {
            var fds: [Int32] = [-1, -1]
            XCTAssertEqual(pipe(&fds), 0)
            readEnd = FileDescriptor(rawValue: fds[0])
            readEnd.setNonBlocking()
            log.attach(fd: FileDescriptor(rawValue: fds[1]))
        }
        var text: String {
            log.flush()
            var out: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 65536)
            while case .bytes(let n) = buffer.withUnsafeMutableBytes({ readEnd.read(into: $0) }) { out += buffer[0..<n] }
            return String(decoding: out, as: UTF8.self)
        }
    }

    func testTheRecordNameAndValue() {
        XCTAssertEqual(Self.challenge.dnsRecordName, "_acme-challenge.x.test.")
        XCTAssertEqual(Self.challenge.dnsRecordValue, Self.value)
        XCTAssertEqual(DNS01Record.base64(Array("user:pa:ss".utf8)), "dXNlcjpwYTpzcw==")
        XCTAssertEqual(DNS01Record.base64([0xFB, 0xFF]), "+/8=")
        XCTAssertEqual(DNS01Record.base64([0xFB]), "+w==")
        XCTAssertEqual(DNS01Record.base64([]), "")
    }

    func testExecCommandLines() throws {
        let loop = try EventLoop(backend: .epoll, log: Logger())
        let plain = try DNS01ExecHook(environment: ["EXEC_PATH": "/hook.sh"], loop: loop, log: Logger())
        XCTAssertEqual(plain.arguments(.present, Self.challenge), ["present", "_acme-challenge.x.test.", Self.value])
        XCTAssertEqual(plain.arguments(.cleanup, Self.challenge), ["cleanup", "_acme-challenge.x.test.", Self.value])
        XCTAssertEqual(plain.arguments(.present, Self.challenge, fqdn: "x.test.acme.example."),
                       ["present", "x.test.acme.example.", Self.value], "the end of the CNAME chain")
        XCTAssertEqual(plain.propagationTimeout, 60_000_000_000)
        XCTAssertEqual(plain.pollingInterval, 2_000_000_000)
        let raw = try DNS01ExecHook(environment: ["EXEC_PATH": "/hook.sh", "EXEC_MODE": "RAW", "EXEC_PROPAGATION_TIMEOUT": "120",
                                                  "EXEC_POLLING_INTERVAL": "5"], loop: loop, log: Logger())
        XCTAssertEqual(raw.arguments(.present, Self.challenge),
                       ["present", "--", "x.test", Self.challenge.token, Self.challenge.keyAuthorization])
        XCTAssertEqual(raw.arguments(.cleanup, Self.challenge).prefix(2), ["cleanup", "--"])
        XCTAssertEqual(raw.propagationTimeout, 120_000_000_000)
        XCTAssertEqual(raw.pollingInterval, 5_000_000_000)
        XCTAssertEqual(raw.hookTimeout, 120_000_000_000)
    }

    func testExecEnvironmentIsHonouredOrRefusedByName() throws {
        let loop = try EventLoop(backend: .epoll, log: Logger())
        let capture = try LogCapture()
        let file = "/tmp/stoep-dns01-exec-path-\(getpid())"
        defer { unlink(file) }
        let fd = try FileDescriptor.openForAppending(file, permissions: 0o600)
        XCTAssertNil(fd.writeAll(Array("  /from/file.sh\n".utf8)))
        fd.close()
        let hook = try DNS01ExecHook(environment: ["EXEC_PATH_FILE": file, "EXEC_MODE": "raw", "EXEC_SEQUENCE_INTERVAL": "30",
                                                   "EXEC_POLLING_INTERVAL": "2s", "EXEC_TYPO": "1", "PATH": "/bin"],
                                     loop: loop, log: capture.log)
        XCTAssertEqual(hook.program, "/from/file.sh")
        XCTAssertFalse(hook.raw, "lego compares EXEC_MODE with \"RAW\" exactly")
        XCTAssertEqual(hook.pollingInterval, 2_000_000_000)
        let log = capture.text
        XCTAssertTrue(log.contains("EXEC_MODE=raw: lego knows only RAW"), log)
        XCTAssertTrue(log.contains("EXEC_SEQUENCE_INTERVAL is not supported"), log)
        XCTAssertTrue(log.contains("EXEC_POLLING_INTERVAL=2s: not a whole number of seconds"), log)
        XCTAssertTrue(log.contains("EXEC_TYPO is not a setting of lego's exec provider"), log)
        XCTAssertFalse(log.contains("PATH="), log)
        XCTAssertThrowsError(try DNS01ExecHook(environment: [:], loop: loop, log: Logger())) {
            XCTAssertTrue("\($0)".contains("EXEC_PATH is not set"))
        }
    }

    func testHTTPRequestBodiesHeadersAndURL() throws {
        let loop = try EventLoop(backend: .epoll, log: Logger())
        let plain = try DNS01HTTPRequestHook(environment: ["HTTPREQ_ENDPOINT": "http://127.0.0.1:9090/api/"], loop: loop, log: Logger())
        XCTAssertEqual(String(decoding: plain.body(Self.challenge), as: UTF8.self),
                       "{\"fqdn\":\"_acme-challenge.x.test.\",\"value\":\"\(Self.value)\"}\n")
        XCTAssertEqual(plain.endpoint.target(appending: "/present"), "/api/present")
        XCTAssertEqual(plain.endpoint.hostHeader, "127.0.0.1:9090")
        XCTAssertNil(plain.authorization)
        XCTAssertEqual(plain.httpTimeout, 30_000_000_000)
        XCTAssertEqual(plain.headers.map(\.0), ["User-Agent", "Accept", "Content-Type"])

        let raw = try DNS01HTTPRequestHook(environment: ["HTTPREQ_ENDPOINT": "https://dns.example.org", "HTTPREQ_MODE": "RAW",
                                                         "HTTPREQ_USERNAME": "user", "HTTPREQ_PASSWORD": "pa:ss",
                                                         "HTTPREQ_HTTP_TIMEOUT": "7"], loop: loop, log: Logger())
        XCTAssertEqual(String(decoding: raw.body(Self.challenge), as: UTF8.self),
                       "{\"domain\":\"x.test\",\"token\":\"\(Self.challenge.token)\",\"keyAuth\":\"\(Self.challenge.keyAuthorization)\"}\n")
        XCTAssertEqual(raw.endpoint.target(appending: "/cleanup"), "/cleanup")
        XCTAssertEqual(raw.endpoint.hostHeader, "dns.example.org")
        XCTAssertTrue(raw.endpoint.tls)
        XCTAssertEqual(raw.authorization, "Basic dXNlcjpwYTpzcw==")
        XCTAssertEqual(raw.httpTimeout, 7_000_000_000)

        let capture = try LogCapture()
        let half = try DNS01HTTPRequestHook(environment: ["HTTPREQ_ENDPOINT": "http://u%40x:p@[::1]:8080", "HTTPREQ_USERNAME": "only",
                                                          "HTTPREQ_SEQUENCE_INTERVAL": "3"], loop: loop, log: capture.log)
        XCTAssertEqual(half.endpoint.host, "::1")
        XCTAssertEqual(half.endpoint.hostHeader, "[::1]:8080")
        XCTAssertEqual(half.authorization, "Basic " + DNS01Record.base64(Array("u@x:p".utf8)), "the URL's user info, as Go's client")
        let log = capture.text
        XCTAssertTrue(log.contains("only one is set"), log)
        XCTAssertTrue(log.contains("HTTPREQ_SEQUENCE_INTERVAL is not a setting of lego's httpreq provider"), log)

        for bad in ["ftp://x", "http://", "http://x:0", "http://x/p?q=1", "x.test:80"] {
            XCTAssertThrowsError(try DNS01HTTPRequestHook(environment: ["HTTPREQ_ENDPOINT": bad], loop: loop, log: Logger()), bad)
        }
    }

    func testTheSolverRefusesOtherProvidersAndBadResolvers() throws {
        let loop = try EventLoop(backend: .epoll, log: Logger())
        var settings = TraefikCertificatesResolver.DNSChallenge(provider: "cloudflare")
        XCTAssertThrowsError(try DNS01Solver(loop: loop, settings: settings, environment: [:], log: Logger())) {
            XCTAssertTrue("\($0)".contains("\"cloudflare\" is not supported"))
        }
        settings.provider = "exec"
        settings.resolvers = ["1.1.1.1:53", "dns.google:53", "[2606:4700::1111]:53", "9.9.9.9"]
        settings.disableANSChecks = true
        let capture = try LogCapture()
        let solver = try DNS01Solver(loop: loop, settings: settings, environment: ["EXEC_PATH": "/bin/true"], log: capture.log)
        XCTAssertEqual(solver.resolvers.map(\.description), ["1.1.1.1:53", "[2606:4700::1111]:53", "9.9.9.9:53"])
        XCTAssertEqual(solver.kind, .dns01)
        let log = capture.text
        XCTAssertTrue(log.contains("resolver \"dns.google:53\" is not an IP address"), log)
        XCTAssertTrue(log.contains("disableANSChecks: stoep never asks the authoritative nameservers"), log)
        XCTAssertTrue(log.contains("provider exec, propagation checked at 1.1.1.1:53"), log)
    }
}
