import Foundation
import Logging
import Outbox
import Synchronization
import Testing

@Suite(.timeLimit(.minutes(2))) struct RelayTests {
    static func event(_ aggregate: String, _ n: Int) -> NewOutboxEvent {
        NewOutboxEvent(aggregateType: "Order", aggregateID: aggregate, eventType: "Happened", payload: #"{"n":\#(n)}"#)
    }

    static func configuration(maxAttempts: Int = 3, poll: Duration = .seconds(3600)) -> RelayConfiguration {
        RelayConfiguration(
            topic: "t",
            source: "test",
            batchSize: 50,
            pollInterval: poll,
            // No retry delay: each batch retries at once, so loops below are deterministic.
            retryPolicy: RetryPolicy(initialDelay: .zero, maxDelay: .zero, jitter: 0, maxAttempts: maxAttempts),
            outageBackoff: RetryPolicy(initialDelay: .milliseconds(1), maxDelay: .milliseconds(5), maxAttempts: .max),
            owner: "relay-test"
        )
    }

    @Test func publishesEnvelopesAndCompletes() async throws {
        let store = MemoryOutboxStore()
        let publisher = RecordingPublisher()
        let events = (0..<10).map { Self.event("o\($0)", $0) }
        store.enqueue(events)
        let relay = Relay(store: store, publisher: publisher, configuration: Self.configuration(), logger: Logger(label: "test"))
        #expect(try await relay.runBatch() == 10)
        #expect(publisher.messages.map(\.id) == events.map { $0.id.uuidString.lowercased() })
        let envelope = try Envelope.decode(try #require(publisher.messages.first).body)
        #expect(envelope.type == "Happened" && envelope.subject == "o0" && envelope.data["n"]?.numberValue == 0)
        #expect(store.allEvents().allSatisfy { $0.status == .completed && $0.publishedAt != nil })
        #expect(try await relay.runBatch() == 0)
    }

    @Test func failingStepRetriesThenParksWhileOthersFlow() async throws {
        let store = MemoryOutboxStore()
        let publisher = RecordingPublisher()
        let poison = Self.event("bad", 0)
        store.enqueue([poison, Self.event("good", 1)])
        let relay = Relay(store: store, publisher: publisher, configuration: Self.configuration(maxAttempts: 3), logger: Logger(label: "test")) {
            event in
            if event.aggregateID == "bad" { throw StepError() }
        }
        for _ in 0..<3 { try await relay.runBatch() }
        let parked = try #require(store.allEvents().first { $0.id == poison.id })
        #expect(parked.status == .failed)
        #expect(parked.attempts == 3)
        #expect(parked.lastError == "step failed")
        #expect(publisher.messages.map(\.key) == ["good"])
    }

    @Test func publishFailureKeepsEventsPendingForRetry() async throws {
        let store = MemoryOutboxStore()
        let publisher = RecordingPublisher(failFirst: 1)
        store.enqueue([Self.event("a", 0)])
        let relay = Relay(store: store, publisher: publisher, configuration: Self.configuration(), logger: Logger(label: "test"))
        await #expect(throws: RecordingPublisher.Down.self) { try await relay.runBatch() }
        let after = try #require(store.allEvents().first)
        // The broker failed, not the event: no attempt is charged, the error is kept.
        #expect(after.status == .pending && after.attempts == 0)
        #expect(after.lastError?.hasPrefix("publish:") == true)
        while try await relay.runBatch() == 0 {}
        #expect(publisher.messages.count == 1)
        #expect(store.allEvents().first?.status == .completed)
    }

    /// A publisher that confirms only the messages of some keys (as `WAIT` does per Redis master).
    struct PartlyConfirmingPublisher: MessagePublisher {
        let confirmedKeys: Set<String>
        let published = RecordingPublisher()
        var capabilities: BrokerCapabilities { [] }
        func publish(_ messages: [OutgoingMessage], topic: String) async throws {
            try await published.publish(messages, topic: topic)
        }
        func publishConfirmed(_ messages: [OutgoingMessage], topic: String) async throws -> Set<String> {
            try await publish(messages, topic: topic)
            return Set(messages.filter { confirmedKeys.contains($0.key) }.map(\.id))
        }
    }

    @Test func onlyConfirmedEventsAreMarkedTheOthersAreReleased() async throws {
        let store = MemoryOutboxStore()
        store.enqueue([Self.event("replicated", 0), Self.event("unreplicated", 1)])
        let publisher = PartlyConfirmingPublisher(confirmedKeys: ["replicated"])
        let relay = Relay(store: store, publisher: publisher, configuration: Self.configuration(), logger: Logger(label: "test"))
        #expect(try await relay.runBatch() == 2)
        let events = Dictionary(uniqueKeysWithValues: store.allEvents().map { ($0.aggregateID, $0) })
        #expect(events["replicated"]?.status == .completed)
        // Sent but not confirmed: pending again, uncharged, with the reason.
        #expect(events["unreplicated"]?.status == .pending && events["unreplicated"]?.attempts == 0)
        #expect(events["unreplicated"]?.lastError?.contains("not confirmed") == true)
        // Nothing confirmed at all is an outage: the batch throws so the relay backs off.
        await #expect(throws: OutboxError.self) { try await relay.runBatch() }
        #expect(publisher.published.messages.map(\.key) == ["replicated", "unreplicated", "unreplicated"])
    }

    @Test func eventsOfOneAggregateKeepTheirOrderAcrossRetries() async throws {
        let store = MemoryOutboxStore()
        let publisher = RecordingPublisher()
        let first = Self.event("order", 1)
        let second = Self.event("order", 2)
        store.enqueue([first, second])
        let failedOnce = Mutex(false)
        let relay = Relay(store: store, publisher: publisher, configuration: Self.configuration(maxAttempts: 5), logger: Logger(label: "test")) {
            event in
            let fail = failedOnce.withLock { failed in
                defer { failed = true }
                return !failed
            }
            if fail { throw StepError() }
        }
        while publisher.messages.count < 2 { try await relay.runBatch() }
        #expect(publisher.messages.map(\.id) == [first, second].map { $0.id.uuidString.lowercased() })
    }

    @Test func wakeUpPublishesWithoutWaitingForThePoll() async throws {
        let wakeUp = WakeUpSignal()
        let store = MemoryOutboxStore(wakeUp: wakeUp)
        let publisher = RecordingPublisher()
        let relay = Relay(
            store: store,
            publisher: publisher,
            wakeUp: wakeUp,
            configuration: Self.configuration(poll: .seconds(3600)),
            logger: Logger(label: "test")
        )
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await relay.run() }
            store.enqueue([Self.event("a", 1)])
            await publisher.waitForMessages(1)
            store.enqueue([Self.event("b", 2)])
            await publisher.waitForMessages(2)
            group.cancelAll()
        }
        #expect(publisher.messages.map(\.key) == ["a", "b"])
    }

    @Test func aLingeringRelayTakesTheCommitsRightBehindIntoOneBatch() async throws {
        let wakeUp = WakeUpSignal()
        let store = MemoryOutboxStore(wakeUp: wakeUp)
        let publisher = RecordingPublisher()
        var configuration = Self.configuration(poll: .seconds(3600))
        configuration.linger = .milliseconds(300)
        let relay = Relay(store: store, publisher: publisher, wakeUp: wakeUp, configuration: configuration, logger: Logger(label: "test"))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await relay.run() }
            store.enqueue([Self.event("x", 0)])
            await publisher.waitForMessages(1)
            // Three commits back to back: the first wakes the relay, the others land within its linger.
            for n in 1...3 { store.enqueue([Self.event("o\(n)", n)]) }
            await publisher.waitForMessages(4)
            group.cancelAll()
        }
        #expect(publisher.messages.map(\.key) == ["x", "o1", "o2", "o3"])
        #expect(publisher.calls == 2)
    }

    @Test func aPublishedBatchIsMarkedByTheClaimOfTheNext() async throws {
        let wakeUp = WakeUpSignal()
        let store = MarkRecordingStore(MemoryOutboxStore(wakeUp: wakeUp))
        let publisher = RecordingPublisher()
        var configuration = Self.configuration(poll: .seconds(3600))
        configuration.markDelay = .seconds(3600)
        let relay = Relay(store: store, publisher: publisher, wakeUp: wakeUp, configuration: configuration, logger: Logger(label: "test"))
        let a = Self.event("a", 1)
        let b = Self.event("b", 2)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await relay.run() }
            store.base.enqueue([a])
            await publisher.waitForMessages(1)
            store.base.enqueue([b])
            await publisher.waitForMessages(2)
            group.cancelAll()
        }
        // a was marked by the claim that took b (or by one right after a's own publish, had a's wake-up
        // been remembered), never alone; b, published last, was marked alone when the relay stopped.
        let (marks, completions) = store.calls
        #expect(marks.contains([a.id]))
        #expect(completions == [[b.id]])
        #expect(try await store.base.events(aggregateID: "a").map(\.status) == [.completed])
        #expect(try await store.base.events(aggregateID: "b").map(\.status) == [.completed])
    }

    @Test(.timeLimit(.minutes(1)))
    func withNoCommitBehindItABatchIsMarkedAlone() async throws {
        let wakeUp = WakeUpSignal()
        let store = MemoryOutboxStore(wakeUp: wakeUp)
        let publisher = RecordingPublisher()
        var configuration = Self.configuration(poll: .seconds(3600))
        configuration.markDelay = .milliseconds(20)
        let relay = Relay(store: store, publisher: publisher, wakeUp: wakeUp, configuration: configuration, logger: Logger(label: "test"))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await relay.run() }
            store.enqueue([Self.event("a", 1)])
            await publisher.waitForMessages(1)
            // The mark delay is a time limit, so waiting past it is the condition under test.
            while try await store.events(aggregateID: "a").map(\.status) != [.completed] {
                try await Task.sleep(for: .milliseconds(10))
            }
            group.cancelAll()
        }
        #expect(publisher.messages.map(\.key) == ["a"])
    }

    @Test func outageBacksOffAndRecovers() async throws {
        let store = MemoryOutboxStore()
        let publisher = RecordingPublisher(failFirst: 4)
        store.enqueue([Self.event("a", 1)])
        let relay = Relay(
            store: store,
            publisher: publisher,
            configuration: Self.configuration(maxAttempts: 10, poll: .milliseconds(1)),
            logger: Logger(label: "test")
        )
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await relay.run() }
            await publisher.waitForMessages(1)
            group.cancelAll()
        }
        #expect(publisher.calls == 5)
        #expect(store.allEvents().first?.status == .completed)
        #expect(store.allEvents().first?.attempts == 0)
    }

    @Test func concurrentBatchesPublishEachEventOnceInOrderPerAggregate() async throws {
        let store = MemoryOutboxStore()
        let publisher = RecordingPublisher()
        let events = (0..<300).map { Self.event("o\($0 % 7)", $0) }
        store.enqueue(events)
        var configuration = Self.configuration(poll: .milliseconds(1))
        configuration.batchSize = 10
        configuration.concurrentBatches = 3
        // The step yields, so the lanes interleave their claims and publishes.
        let relay = Relay(store: store, publisher: publisher, configuration: configuration, logger: Logger(label: "test")) { _ in
            await Task.yield()
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await relay.run() }
            await publisher.waitForMessages(events.count)
            group.cancelAll()
        }
        let published = publisher.messages
        #expect(published.count == events.count)
        #expect(Set(published.map(\.id)).count == events.count)
        for aggregate in Set(events.map(\.aggregateID)) {
            let sent = events.filter { $0.aggregateID == aggregate }.map { $0.id.uuidString.lowercased() }
            #expect(published.filter { $0.key == aggregate }.map(\.id) == sent)
        }
    }

    struct StepError: Error, CustomStringConvertible {
        var description: String { "step failed" }
    }
}

/// A store that records which published events were marked by a claim and which alone.
private final class MarkRecordingStore: OutboxStore {
    let base: MemoryOutboxStore
    private let recorded = Mutex<(marks: [[UUID]], completions: [[UUID]])>(([], []))

    init(_ base: MemoryOutboxStore) { self.base = base }

    var calls: (marks: [[UUID]], completions: [[UUID]]) { recorded.withLock { $0 } }

    func claim(limit: Int, owner: String, leaseDuration: Duration) async throws -> ClaimedBatch {
        try await base.claim(limit: limit, owner: owner, leaseDuration: leaseDuration)
    }
    func complete(_ outcomes: [DeliveryOutcome], owner: String) async throws {
        recorded.withLock { $0.completions.append(outcomes.map(\.id)) }
        try await base.complete(outcomes, owner: owner)
    }
    func markPublishedAndClaim(_ published: [UUID], owner: String, limit: Int, leaseDuration: Duration) async throws -> ClaimedBatch {
        recorded.withLock { $0.marks.append(published) }
        return try await base.markPublishedAndClaim(published, owner: owner, limit: limit, leaseDuration: leaseDuration)
    }
    func events(aggregateID: String) async throws -> [OutboxEvent] { try await base.events(aggregateID: aggregateID) }
    func stats() async throws -> OutboxStats { try await base.stats() }
    func list(status: OutboxStatus?, limit: Int, afterSeq: Int64?) async throws -> [OutboxEvent] {
        try await base.list(status: status, limit: limit, afterSeq: afterSeq)
    }
    func recent(status: OutboxStatus?, limit: Int, beforeSeq: Int64?) async throws -> [OutboxEvent] {
        try await base.recent(status: status, limit: limit, beforeSeq: beforeSeq)
    }
    func event(id: UUID) async throws -> OutboxEvent? { try await base.event(id: id) }
    func activity(afterSeq: Int64?, countLimit: Int) async throws -> OutboxActivity {
        try await base.activity(afterSeq: afterSeq, countLimit: countLimit)
    }
    func retry(id: UUID) async throws -> RetryResult { try await base.retry(id: id) }
    func retryFailed(limit: Int) async throws -> Int { try await base.retryFailed(limit: limit) }
    func purgeCompleted(publishedBefore cutoff: Date, limit: Int) async throws -> Int? {
        try await base.purgeCompleted(publishedBefore: cutoff, limit: limit)
    }
}
