// Traefik's file provider without the loop: which files a directory gives (sorted, subdirectories, dot
// files and other extensions skipped), and what a broken file does (its last good version keeps serving;
// without one it is skipped), on real files in a temporary directory.
import Config
import Discovery
import Foundation
import XCTest

final class FileProviderTests: XCTestCase {
    private var root = ""

    override func setUpWithError() throws {
        root = NSTemporaryDirectory() + "stoep-file-provider-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: root)
    }

    private func write(_ relative: String, _ text: String) throws {
        let path = root + "/" + relative
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent,
                                                withIntermediateDirectories: true)
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }

    private func router(_ name: String, _ host: String) -> String {
        "[http.routers.\(name)]\nrule = \"Host(`\(host)`)\"\nservice = \"s\"\n"
    }

    func testDirectoryFilesSortedWithSubdirectoriesAndNoDotFiles() throws {
        try write("b.toml", router("b", "b.lan"))
        try write("a.yml", "http:\n  routers:\n    a:\n      rule: \"Host(`a.lan`)\"\n      service: s\n")
        try write("sub/c.yaml", "http:\n  routers:\n    c:\n      rule: \"Host(`c.lan`)\"\n      service: s\n")
        try write(".hidden.toml", router("hidden", "hidden.lan"))
        try write(".swap/d.toml", router("d", "d.lan"))
        try write("notes.txt", "not a configuration")
        let provider = TraefikFileProvider(directory: root)
        XCTAssertEqual(FileProviderReader.files(provider), [root + "/a.yml", root + "/b.toml", root + "/sub/c.yaml"])
        let snapshot = FileProviderReader.read(provider, environment: [:])
        XCTAssertEqual(snapshot.configs.map { $0.httpRouters.keys.sorted() }, [["a@file"], ["b@file"], ["c@file"]])
        XCTAssertEqual(snapshot.issues, [])
        XCTAssertEqual(Set(snapshot.lastGood.keys), Set(FileProviderReader.files(provider)))
        XCTAssertTrue(FileProviderReader.isDirectory(root))
        XCTAssertFalse(FileProviderReader.isDirectory(root + "/b.toml"))
    }

    func testFilenameWinsOverDirectory() throws {
        try write("only.toml", router("only", "only.lan"))
        try write("other.toml", router("other", "other.lan"))
        let provider = TraefikFileProvider(filename: root + "/only.toml", directory: root)
        XCTAssertEqual(FileProviderReader.files(provider), [root + "/only.toml"])
    }

    func testBrokenFileKeepsItsLastGoodVersion() throws {
        try write("a.toml", router("a", "a.lan"))
        try write("b.toml", router("b", "b.lan"))
        let provider = TraefikFileProvider(directory: root)
        let good = FileProviderReader.read(provider, environment: [:])
        XCTAssertEqual(good.configs.count, 2)

        try write("a.toml", "[http.routers.a\nrule = ")   // a half-saved file
        try write("new.toml", "[[[")                      // broken from the start
        let next = FileProviderReader.read(provider, previous: good, environment: [:])
        XCTAssertEqual(next.configs.map { $0.httpRouters.keys.sorted() }, [["a@file"], ["b@file"]])
        XCTAssertEqual(next.lastGood[root + "/a.toml"], good.lastGood[root + "/a.toml"])
        XCTAssertNil(next.lastGood[root + "/new.toml"])
        XCTAssertTrue(next.issues.contains { $0.hasPrefix(root + "/a.toml:") && $0.hasSuffix("(file not applied; its previous version keeps serving)") },
                      "\(next.issues)")
        XCTAssertTrue(next.issues.contains { $0.hasPrefix(root + "/new.toml:") && $0.hasSuffix("(file skipped)") }, "\(next.issues)")
    }

    func testDecodingIssuesAreReportedAndTheFileApplied() throws {
        try write("a.toml", router("a", "a.lan") + "[http.routers.bad]\npriority = \"high\"\n")
        let snapshot = FileProviderReader.read(TraefikFileProvider(directory: root), environment: [:])
        XCTAssertEqual(snapshot.configs.count, 1)
        XCTAssertNotNil(snapshot.configs.first?.httpRouters["a@file"])
        XCTAssertFalse(snapshot.issues.isEmpty)
    }
}
