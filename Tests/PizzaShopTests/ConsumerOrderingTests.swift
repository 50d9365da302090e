import Foundation
import Logging
import Outbox
import OutboxSQLite
import PizzaShopSQLite
import PizzaTools
import Testing

@testable import PizzaShop

/// The consumer applies each order's events in order, whichever consumer of the group holds them.
@Suite(.timeLimit(.minutes(1))) struct ConsumerOrderingTests {
    static func envelope(_ id: UUID, order: String, previous: UUID?) -> Envelope {
        let event = OutboxEvent(
            id: id,
            seq: 1,
            aggregateType: "PizzaOrder",
            aggregateID: order,
            eventType: "OrderStatusChanged",
            payload: #"{"to":"baking"}"#,
            headers: [:],
            status: .pending,
            attempts: 0,
            lastError: nil,
            availableAt: Date(),
            createdAt: Date(),
            publishedAt: nil,
            previousID: previous
        )
        return try! Envelope.decode(Envelope.encode(event, source: "test"))
    }

    func withRecorder(_ body: (SQLiteDeliveryRecorder) async throws -> Void) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("consumer-order-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let storage = try await SQLiteStorage.open(path: directory.appendingPathComponent("inbox.sqlite").path, logger: Logger(label: "test"))
        do {
            try await storage.migrate(SQLiteDeliveryRecorder.migrations)
            try await body(SQLiteDeliveryRecorder(storage: storage))
        } catch {
            await storage.close()
            throw error
        }
        await storage.close()
    }

    func consumer(_ recorder: SQLiteDeliveryRecorder, wait: Duration, gap: Duration = .seconds(300)) -> EventConsumer {
        EventConsumer(
            subscriber: MemoryBroker().subscriber(group: "g"),
            topic: "t",
            group: "g",
            received: ReceivedEvents(),
            recorder: recorder,
            ordering: .init(wait: wait, gapTimeout: gap),
            logger: Logger(label: "test")
        )
    }

    @Test func anEarlyEventWaitsForItsPreviousEvent() async throws {
        try await withRecorder { recorder in
            let first = UUID()
            let second = UUID()
            let a = consumer(recorder, wait: .seconds(30))
            let b = consumer(recorder, wait: .seconds(30))
            let spy = RefusalSpy(recorder)
            // Consumer b holds the second event first and is refused; then consumer a applies the first.
            async let late = b.apply(Self.envelope(second, order: "o1", previous: first), through: spy)
            await spy.firstRefusal()
            #expect(try await a.apply(Self.envelope(first, order: "o1", previous: nil), through: recorder) == .processed)
            #expect(try await late == .processed)
            let applied = try await recorder.deliveries().map(\.eventID)
            #expect(applied == [first, second].map { $0.uuidString.lowercased() })
        }
    }

    @Test func afterTheWaitTheBrokerRedelivers() async throws {
        try await withRecorder { (recorder) async throws in
            let early = consumer(recorder, wait: .milliseconds(30))
            await #expect {
                _ = try await early.apply(Self.envelope(UUID(), order: "o1", previous: UUID()), through: recorder)
            } throws: { error in
                (error as? PizzaShopError)?.code == .outOfOrder
            }
            #expect(try await recorder.deliveries().isEmpty)
        }
    }

    @Test func aGapIsAppliedOnceItsTimeoutPassed() async throws {
        try await withRecorder { (recorder) async throws in
            // The previous event predates the group: it will never come.
            let consumer = consumer(recorder, wait: .seconds(30), gap: .zero)
            #expect(try await consumer.apply(Self.envelope(UUID(), order: "o1", previous: UUID()), through: recorder) == .processed)
            #expect(try await recorder.deliveries().count == 1)
        }
    }
}

/// Passes every call through and lets a test wait for the first `.outOfOrder` answer.
final class RefusalSpy: DeliveryRecorder {
    let base: any DeliveryRecorder
    private let refusals: AsyncStream<Void>
    private let continuation: AsyncStream<Void>.Continuation

    init(_ base: any DeliveryRecorder) {
        self.base = base
        (refusals, continuation) = AsyncStream.makeStream(of: Void.self)
    }

    func firstRefusal() async {
        var iterator = refusals.makeAsyncIterator()
        _ = await iterator.next()
    }

    func record(_ envelope: Envelope, group: String, checkOrder: Bool) async throws -> InboxOutcome {
        let outcome = try await base.record(envelope, group: group, checkOrder: checkOrder)
        if case .outOfOrder = outcome { continuation.yield() }
        return outcome
    }

    func deliveries() async throws -> [DeliveryLedger.Delivery] { try await base.deliveries() }
    func inbox() async throws -> [DeliveryLedger.InboxRow] { try await base.inbox() }
}
