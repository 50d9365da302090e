import Foundation
import Logging
import Outbox
import Synchronization
import Testing

@Suite(.timeLimit(.minutes(1))) struct RetentionTests {
    let logger = Logger(label: "test")

    @Test func purgesOldCompletedEventsInBatches() async throws {
        let store = MemoryOutboxStore()
        store.enqueue((0..<25).map { RelayTests.event("o\($0)", $0) })
        let batch = try await store.claim(limit: 22, owner: "r", leaseDuration: .seconds(30))
        try await store.complete(
            batch.events.dropLast(2).map { .published(id: $0.id) } + batch.events.suffix(2).map { .failed(id: $0.id, error: "x", retryAt: nil) },
            owner: "r"
        )
        let retention = OutboxRetention(store: store, retention: .seconds(3600), batchSize: 7, logger: logger)
        // Nothing is an hour old yet.
        #expect(try await retention.purgeOnce() == 0)
        // Two hours later all 20 completed events are past retention: three batches of 7 at most.
        #expect(try await retention.purgeOnce(now: Date().addingTimeInterval(7200)) == 20)
        let stats = try await store.stats()
        #expect(stats.completed == 0 && stats.failed == 2 && stats.pending == 3)
    }

    @Test func tableStaysBoundedUnderContinuousLoad() async throws {
        let store = MemoryOutboxStore()
        let relay = Relay(store: store, publisher: RecordingPublisher(), configuration: RelayTests.configuration(), logger: logger)
        let retention = OutboxRetention(store: store, retention: .seconds(60), batchSize: 100, logger: logger)
        var clock = Date()
        var sizes: [Int] = []
        // Each round is a simulated minute: 50 new orders, the relay drains, retention runs.
        for round in 0..<30 {
            store.enqueue((0..<50).map { RelayTests.event("r\(round)-\($0)", $0) })
            while try await relay.runBatch() > 0 {}
            clock = clock.addingTimeInterval(60)
            try await retention.purgeOnce(now: clock.addingTimeInterval(1))
            sizes.append(store.allEvents().count)
        }
        #expect(sizes.allSatisfy { $0 <= 50 })
        #expect(try await store.stats().pending == 0)
    }

    @Test func afterPublishRunsBetweenPublishAndMark() async throws {
        let store = MemoryOutboxStore()
        let publisher = RecordingPublisher()
        store.enqueue([RelayTests.event("a", 1)])
        var configuration = RelayTests.configuration()
        let seen = SeenAtCrashPoint()
        configuration.afterPublish = { [store, publisher] published in
            // The drills' crash point: the broker has the message, the store still says pending.
            let status = store.allEvents().first?.status
            seen.record(published: published.count, brokerHas: publisher.messages.count, status: status)
        }
        let relay = Relay(store: store, publisher: publisher, configuration: configuration, logger: logger)
        try await relay.runBatch()
        #expect(seen.value == SeenAtCrashPoint.Value(published: 1, brokerHas: 1, status: .pending))
        #expect(store.allEvents().first?.status == .completed)
    }
}

final class SeenAtCrashPoint: Sendable {
    struct Value: Equatable, Sendable {
        var published: Int
        var brokerHas: Int
        var status: OutboxStatus?
    }

    private let state = Mutex<Value?>(nil)

    func record(published: Int, brokerHas: Int, status: OutboxStatus?) {
        state.withLock { $0 = Value(published: published, brokerHas: brokerHas, status: status) }
    }

    var value: Value? { state.withLock { $0 } }
}

@Suite(.timeLimit(.minutes(1))) struct RelayWatchdogTests {
    @Test func theBatchInFlightShowsItsAge() async throws {
        let store = MemoryOutboxStore()
        store.enqueue([RelayTests.event("a", 1)])
        let (entered, enteredContinuation) = AsyncStream.makeStream(of: Void.self)
        let (release, releaseContinuation) = AsyncStream.makeStream(of: Void.self)
        let relay = Relay(store: store, publisher: RecordingPublisher(), configuration: RelayTests.configuration(), logger: Logger(label: "test")) {
            _ in
            // The processing step stands in for a call that does not return until released.
            enteredContinuation.yield()
            var iterator = release.makeAsyncIterator()
            _ = await iterator.next()
        }
        #expect(relay.currentBatchAge == nil)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await relay.run() }
            var iterator = entered.makeAsyncIterator()
            _ = await iterator.next()
            #expect((relay.currentBatchAge ?? .zero) >= .zero)
            #expect(relay.currentBatchAge != nil)
            releaseContinuation.yield()
            releaseContinuation.finish()
            // The batch completes; between batches there is no age.
            while store.allEvents().first?.status != .completed { await Task.yield() }
            group.cancelAll()
        }
        #expect(relay.currentBatchAge == nil)
    }
}
