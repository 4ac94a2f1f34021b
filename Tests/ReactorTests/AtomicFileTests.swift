// writeFileAtomically and createDirectories on the real file system: exact permissions whatever the
// umask, replacement of an existing file in one rename (a reader holding the old file keeps it), no
// temporary file left behind, failures named by their call.
import Foundation
import Reactor
import XCTest

final class AtomicFileTests: XCTestCase {
    private var dir: String!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("stoep-atomic-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: dir)
    }

    private func mode(_ path: String) throws -> Int {
        (try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int) ?? -1
    }

    func testWritesReplacesAndKeepsTheModeExact() throws {
        let path = dir + "/acme.json"
        let old = umask(0o077)
        defer { umask(old) }
        try writeFileAtomically(path: path, bytes: Array("first".utf8))
        XCTAssertEqual(try readWholeFile(path).get(), Array("first".utf8))
        XCTAssertEqual(try mode(path), 0o600)

        // A reader that opened the old file keeps reading the old bytes: the name moved, the file did not change.
        let reader = try XCTUnwrap(FileHandle(forReadingAtPath: path))
        let oldInode = try FileManager.default.attributesOfItem(atPath: path)[.systemFileNumber] as? Int
        try writeFileAtomically(path: path, bytes: Array("second, longer".utf8), mode: 0o644)
        XCTAssertEqual(String(decoding: reader.readDataToEndOfFile(), as: UTF8.self), "first")
        XCTAssertEqual(try readWholeFile(path).get(), Array("second, longer".utf8))
        XCTAssertNotEqual(try FileManager.default.attributesOfItem(atPath: path)[.systemFileNumber] as? Int, oldInode)
        XCTAssertEqual(try mode(path), 0o644, "0644 although the umask is 077")

        try writeFileAtomically(path: path, bytes: [])
        XCTAssertEqual(try readWholeFile(path).get(), [])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), ["acme.json"], "no temporary file left")
    }

    func testFailuresNameTheirCall() throws {
        do {
            try writeFileAtomically(path: dir + "/missing/acme.json", bytes: [1])
            XCTFail("wrote into a missing directory")
        } catch {
            XCTAssertTrue(error.call.hasPrefix("open "), error.description)
            XCTAssertEqual(error.errno, .noSuchFileOrDirectory)
        }
        // Renaming over a directory fails after the temporary file was written: it is removed again.
        try FileManager.default.createDirectory(atPath: dir + "/taken", withIntermediateDirectories: false)
        do {
            try writeFileAtomically(path: dir + "/taken", bytes: [1])
            XCTFail("replaced a directory")
        } catch {
            XCTAssertEqual(error.call, "rename", error.description)
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), ["taken"])
    }

    func testCreatesDirectoriesWithTheirParents() throws {
        let old = umask(0)
        defer { umask(old) }
        let path = dir + "/var/lib/stoep/ca"
        try createDirectories(path: path)
        var isDirectory: ObjCBool = false
        XCTAssertTrue(FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue)
        XCTAssertEqual(try mode(path), 0o700)
        try createDirectories(path: path + "/")   // exists already: fine
        try writeFileAtomically(path: path + "/file", bytes: [1])
        try writeFileAtomically(path: path + "/a", bytes: [1])
        XCTAssertEqual(try directoryEntries(path: path).get(), ["a", "file"])
        XCTAssertEqual(directoryEntries(path: path + "/none"), .failure(.noSuchFileOrDirectory))
        do {
            try createDirectories(path: path + "/file/below")
            XCTFail("made a directory below a file")
        } catch {
            XCTAssertEqual(error.errno, .notDirectory, error.description)
        }
    }
}
