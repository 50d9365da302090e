import Outbox
import Synchronization
import Testing

@Suite(.timeLimit(.minutes(2))) struct MemoryInboxTests {
    @Test func racingRepeatsTakeEffectOnce() async throws {
        let inbox = MemoryInbox()
        let effects = EffectCounter()
        let message = InboxMessage(eventID: "e1", group: "g", aggregateID: "o1")
        let outcomes = try await withThrowingTaskGroup(of: InboxOutcome.self) { group in
            for _ in 0..<20 {
                group.addTask { try await inbox.receive(message) { effects.add() } }
            }
            var all: [InboxOutcome] = []
            for try await outcome in group { all.append(outcome) }
            return all
        }
        #expect(effects.count == 1)
        #expect(outcomes.filter { $0 == .processed }.count == 1)
        #expect(inbox.deliveryCount(eventID: "e1", group: "g") == 20)
    }

    @Test func failedEffectIsNotRecorded() async throws {
        let inbox = MemoryInbox()
        let message = InboxMessage(eventID: "e1", group: "g", aggregateID: "o1")
        struct Failed: Error {}
        await #expect(throws: Failed.self) { try await inbox.receive(message) { throw Failed() } }
        #expect(try await inbox.receive(message) {} == .processed)
    }
}

final class EffectCounter: Sendable {
    private let value = Mutex(0)
    func add() { value.withLock { $0 += 1 } }
    var count: Int { value.withLock { $0 } }
}
