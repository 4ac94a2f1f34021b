import XCTest
@testable import Config

final class WorkerCountTests: XCTestCase {
    func testValuesAndRefusals() {
        let cases: [(String, WorkerCount?)] = [("workers = 2", .count(2)), ("workers = \"auto\"", .auto), ("workers = \"4\"", .count(4)),
                                               ("", nil)]
        for (line, want) in cases {
            guard case .success(let c) = ConfigLoader.parse(text: line, file: "stoep.toml") else { return XCTFail(line) }
            XCTAssertEqual(c.workers, want, line)
        }
        for (line, message) in [("workers = 0", "workers: expected a number from 1 to 64 or \"auto\", found 0"),
                                ("workers = \"many\"", "found \"many\""), ("workers = true", "workers: expected a number or \"auto\""),
                                ("worker-cpu-affinity = 1", "worker-cpu-affinity")] {
            guard case .failure(let e) = ConfigLoader.parse(text: line, file: "stoep.toml") else { return XCTFail(line) }
            XCTAssertTrue(e.errors.contains { $0.description.contains(message) }, "\(line): \(e)")
        }
        guard case .success(let pinned) = ConfigLoader.parse(text: "worker-cpu-affinity = true", file: "stoep.toml") else { return XCTFail() }
        XCTAssertTrue(pinned.workerCPUAffinity)
        XCTAssertEqual(WorkerCount.auto.resolved(onlineCPUs: 4), 4)
        XCTAssertEqual(WorkerCount.count(3).resolved(onlineCPUs: 1), 3)
    }
}
