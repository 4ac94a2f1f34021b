// Reads the labels of the shared iNethi fixtures (docker-compose.yml: lists of "key=value"; ansible-labels.yml:
// maps) with stoep's own YAML reader, the way a test of the real files must.
import Config
import Foundation
import XCTest

enum FixtureLabels {
    /// ../shared beside the checkout (as CI lays it out), else the work area's copy.
    static func directory() throws -> String {
        let checkout = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        for base in [checkout.deletingLastPathComponent().appendingPathComponent("shared").path, "/work/shared"] {
            let dir = base + "/fixtures/inethi"
            if FileManager.default.fileExists(atPath: dir + "/docker-compose.yml") { return dir }
        }
        throw XCTSkip("shared/fixtures/inethi not found")
    }

    /// (service name, labels) of every compose service, in file order.
    static func compose() throws -> [(name: String, labels: [String: String])] {
        let path = try directory() + "/docker-compose.yml"
        let (tree, errors) = YAMLReader.parse(try String(contentsOfFile: path, encoding: .utf8), file: path)
        XCTAssertEqual(errors, [])
        guard case .table(let services)? = tree["services"]?.value else { XCTFail("no services"); return [] }
        return services.entries.map { name, node in
            var labels: [String: String] = [:]
            if case .table(let service) = node.value, case .array(let items)? = service["labels"]?.value {
                for item in items {
                    guard case .string(let text) = item.value, let eq = text.firstIndex(of: "=") else { continue }
                    // Compose turns `$$` into `$`.
                    labels[String(text[..<eq])] = String(text[text.index(after: eq)...]).replacingOccurrences(of: "$$", with: "$")
                }
            }
            return (name, labels)
        }
    }

    /// (name, labels) of every entry of ansible-labels.yml (a top-level list, read under a wrapper key).
    static func ansible() throws -> [(name: String, labels: [String: String])] {
        let path = try directory() + "/ansible-labels.yml"
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let wrapped = "items:\n" + text.split(separator: "\n", omittingEmptySubsequences: false).map { "  " + $0 }.joined(separator: "\n")
        let (tree, errors) = YAMLReader.parse(wrapped, file: path)
        XCTAssertEqual(errors, [])
        guard case .array(let items)? = tree["items"]?.value else { XCTFail("no items"); return [] }
        return items.compactMap { item in
            guard case .table(let entry) = item.value, case .string(let name)? = entry["name"]?.value else { return nil }
            var labels: [String: String] = [:]
            if case .table(let map)? = entry["labels"]?.value {
                for (key, node) in map.entries {
                    if case .string(let value) = node.value { labels[key] = value }
                }
            }
            return (name, labels)
        }
    }
}
