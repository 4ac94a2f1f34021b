import XCTest
@testable import Reactor

final class TimerHeapTests: XCTestCase {
    func testPopsInDeadlineOrderAndSkipsRemoved() {
        var heap = TimerHeap()
        var fired: [Int] = []
        let timers = (0..<50).map { i in Timer { _ in fired.append(i) } }
        // Deadlines in a scrambled order.
        for (i, t) in timers.enumerated() { heap.schedule(t, at: UInt64((i * 37) % 50)) }
        heap.remove(timers[10])
        heap.remove(timers[10])  // twice is harmless
        heap.schedule(timers[3], at: 1000)  // moved later
        var now: UInt64 = 0
        var order: [UInt64] = []
        while let t = heap.popDue(now == 0 ? 49 : now) {
            order.append(t.deadline)
            t.action(0)
        }
        XCTAssertEqual(order, order.sorted())
        XCTAssertFalse(fired.contains(10))
        XCTAssertFalse(fired.contains(3))
        XCTAssertEqual(heap.count, 1)
        now = 1000
        XCTAssertTrue(heap.popDue(now) === timers[3])
        XCTAssertTrue(heap.isEmpty)
        XCTAssertFalse(timers[3].isScheduled)
    }

    func testNothingDueBeforeDeadline() {
        var heap = TimerHeap()
        let t = Timer { _ in }
        heap.schedule(t, at: 500)
        XCTAssertNil(heap.popDue(499))
        XCTAssertEqual(heap.earliest, 500)
    }
}

final class TokenTests: XCTestCase {
    func testRoundTripAndKinds() {
        let t = Token(kind: .watch, generation: 0xABCDEF, slot: 123_456)
        XCTAssertEqual(t.kind, .watch)
        XCTAssertEqual(t.generation, 0xABCDEF)
        XCTAssertEqual(t.slot, 123_456)
        let r = t.with(kind: .removal)
        XCTAssertEqual(r.kind, .removal)
        XCTAssertEqual(r.slot, t.slot)
        XCTAssertEqual(r.generation, t.generation)
        XCTAssertEqual(Token.ignore.kind, .ignore)
    }

    func testReadinessFromPollBits() {
        XCTAssertEqual(Readiness.fromPollBits(0x001), [.readable])
        XCTAssertEqual(Readiness.fromPollBits(0x004), [.writable])
        XCTAssertEqual(Readiness.fromPollBits(0x2000), [.readable, .readHangup])
        XCTAssertEqual(Readiness.fromPollBits(0x008), [.error, .readable, .writable])
    }
}
