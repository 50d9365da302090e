import Foundation
import Logging
import Outbox
import OutboxPostgres
import OutboxSQLite
import PizzaShopPostgres
import PizzaShopSQLite
import TestSupport
import Testing

@testable import PizzaShop

/// What a dashboard reads from the consumers' database, on both drivers: effects by event and by
/// order, and commit → effect latency of the effects after a position.
@Suite(.timeLimit(.minutes(1))) struct EffectReaderTests {
    static func envelope(order: String, committed: Date) -> Envelope {
        let event = OutboxEvent(
            id: UUID(),
            seq: 1,
            aggregateType: "PizzaOrder",
            aggregateID: order,
            eventType: "PizzaOrderCreated",
            payload: "{}",
            headers: [:],
            status: .pending,
            attempts: 0,
            lastError: nil,
            availableAt: committed,
            createdAt: committed,
            publishedAt: nil,
            previousID: nil
        )
        return try! Envelope.decode(Envelope.encode(event, source: "test"))
    }

    static func check(_ recorder: some DeliveryRecorder & EffectReader) async throws {
        let start = try await recorder.recentEffects(afterPosition: nil, limit: 100)
        #expect(start.latencies.isEmpty)
        let committed = Date().addingTimeInterval(-2)
        let first = envelope(order: "o1", committed: committed)
        let second = envelope(order: "o2", committed: committed)
        _ = try await recorder.record(first, group: "billing", checkOrder: false)
        _ = try await recorder.record(first, group: "billing", checkOrder: false)
        _ = try await recorder.record(first, group: "kitchen", checkOrder: false)
        _ = try await recorder.record(second, group: "kitchen", checkOrder: false)

        let byEvent = try await recorder.effects(eventIDs: [first.id], groups: ["billing", "kitchen", "absent"])
        #expect(Set(byEvent.map(\.group)) == ["billing", "kitchen"])
        #expect(byEvent.first { $0.group == "billing" }?.deliveryCount == 2, "the duplicate is counted, not applied")
        #expect(byEvent.allSatisfy { $0.orderID == "o1" && $0.eventID == first.id })
        #expect(try await recorder.effects(eventIDs: [first.id], groups: ["kitchen"]).map(\.group) == ["kitchen"])
        #expect(try await recorder.effects(orderID: "o2", groups: ["billing", "kitchen"]).map(\.eventID) == [second.id])

        let recent = try await recorder.recentEffects(afterPosition: start.lastPosition, limit: 100)
        #expect(recent.latencies["billing"]?.count == 1 && recent.latencies["kitchen"]?.count == 2)
        #expect(recent.latencies.values.joined().allSatisfy { $0 >= 1.5 && $0 < 60 }, "commit was two seconds ago")
        let none = try await recorder.recentEffects(afterPosition: recent.lastPosition, limit: 100)
        #expect(none.latencies.isEmpty && none.lastPosition == recent.lastPosition)
        let limited = try await recorder.recentEffects(afterPosition: start.lastPosition, limit: 1)
        #expect(limited.latencies.values.joined().count == 1 && limited.lastPosition < recent.lastPosition)
    }

    @Test func sqlite() async throws {
        let storage = try await SQLiteStorage.open(path: ":memory:", logger: Logger(label: "test"))
        do {
            try await storage.migrate(SQLiteDeliveryRecorder.migrations)
            try await Self.check(SQLiteDeliveryRecorder(storage: storage))
        } catch {
            await storage.close()
            throw error
        }
        await storage.close()
    }

    @Test(.enabled(if: TestServers.postgresEnabled)) func postgres() async throws {
        try await TestSchema.with("effects") { _, client in
            let logger = Logger(label: "test")
            try await PostgresMigrator(PostgresDeliveryRecorder.migrations).migrate(client: client, logger: logger)
            try await Self.check(PostgresDeliveryRecorder(client: client, logger: logger))
        }
    }
}
