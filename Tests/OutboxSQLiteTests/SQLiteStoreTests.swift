import Foundation
import Logging
import Outbox
import OutboxSQLite
import OutboxTesting
import SQLiteNIO
import Testing

/// A fresh database file per test, removed afterwards.
func withTemporaryStorage<T: Sendable>(_ body: (SQLiteStorage) async throws -> T) async throws -> T {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("outbox-sqlite-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let storage = try await SQLiteStorage.open(path: directory.appendingPathComponent("test.sqlite").path, logger: Logger(label: "test"))
    do {
        let value = try await body(storage)
        await storage.close()
        return value
    } catch {
        await storage.close()
        throw error
    }
}

struct SQLiteStoreHarness: OutboxStoreHarness {
    var inMemory = false

    func withStore(_ body: (SQLiteOutboxStore) async throws -> Void) async throws {
        if inMemory {
            let storage = try await SQLiteStorage.open(path: ":memory:", logger: Logger(label: "test"))
            let store = try SQLiteOutboxStore(storage: storage)
            try await storage.migrate(store.migrations)
            try await body(store)
            await storage.close()
        } else {
            try await withTemporaryStorage { storage in
                let store = try SQLiteOutboxStore(storage: storage)
                try await storage.migrate(store.migrations)
                try await body(store)
            }
        }
    }

    func enqueue(_ events: [NewOutboxEvent], into store: SQLiteOutboxStore) async throws {
        try await store.enqueue(events)
    }
}

@Suite("SQLiteOutboxStore conformance", .timeLimit(.minutes(2)))
struct SQLiteStoreConformanceTests {
    @Test(arguments: OutboxStoreConformance.allCases)
    func file(_ check: OutboxStoreConformanceCase) async throws {
        try await check.run(SQLiteStoreHarness())
    }

    @Test(arguments: OutboxStoreConformance.allCases)
    func inMemory(_ check: OutboxStoreConformanceCase) async throws {
        try await check.run(SQLiteStoreHarness(inMemory: true))
    }
}

@Suite struct SQLiteStorageTests {
    @Test func migrationsApplyOnce() async throws {
        try await withTemporaryStorage { storage in
            let store = try SQLiteOutboxStore(storage: storage)
            #expect(
                try await storage.migrate(store.migrations) == [
                    "outbox:pizza_order_outbox/0001_create_outbox", "outbox:pizza_order_outbox/0002_index_failed_events",
                ]
            )
            #expect(try await storage.migrate(store.migrations).isEmpty)
        }
    }

    @Test func usesWriteAheadLogging() async throws {
        try await withTemporaryStorage { storage in
            let mode = try await storage.read { try await $0.query("PRAGMA journal_mode") }.first?.column("journal_mode")?.string
            #expect(mode == "wal")
        }
    }

    @Test func aFailedTransactionLeavesNothing() async throws {
        try await withTemporaryStorage { storage in
            let store = try SQLiteOutboxStore(storage: storage)
            try await storage.migrate(store.migrations)
            struct Abort: Error {}
            await #expect(throws: Abort.self) {
                try await storage.write { connection in
                    try await store.enqueue([NewOutboxEvent(aggregateType: "T", aggregateID: "a", eventType: "E", payload: "{}")], on: connection)
                    throw Abort()
                }
            }
            #expect(try await store.stats().pending == 0)
        }
    }

    @Test func enqueueWakesTheRelay() async throws {
        try await withTemporaryStorage { storage in
            let signal = WakeUpSignal()
            let store = try SQLiteOutboxStore(storage: storage, wakeUp: signal)
            try await storage.migrate(store.migrations)
            try await store.enqueue([NewOutboxEvent(aggregateType: "T", aggregateID: "a", eventType: "E", payload: "{}")])
            #expect(await signal.wait(timeout: .seconds(10)))
        }
    }
}

@Suite struct SQLiteInboxTests {
    @Test func aRepeatIsCountedAndHasNoSecondEffect() async throws {
        try await withTemporaryStorage { storage in
            try await storage.migrate(
                SQLiteInbox.migrations + [
                    SchemaMigration(component: "test", version: 1, name: "effects", statements: ["CREATE TABLE effects (event_id TEXT)"])
                ]
            )
            let inbox = SQLiteInbox(storage: storage)
            let message = InboxMessage(eventID: "e1", group: "g", aggregateID: "o1")
            let effect: @Sendable (SQLiteConnection) async throws -> Void = { connection in
                _ = try await connection.query("INSERT INTO effects VALUES ('e1')")
            }
            #expect(try await inbox.receive(message, effect: effect) == .processed)
            #expect(try await inbox.receive(message, effect: effect) == .duplicate(deliveryCount: 2))
            #expect(try await inbox.receive(message, effect: effect) == .duplicate(deliveryCount: 3))
            // Another group is another consumer: it gets its own first delivery.
            var other = message
            other.group = "h"
            #expect(try await inbox.receive(other, effect: effect) == .processed)
            let count = try await storage.read { try await $0.query("SELECT count(*) AS n FROM effects") }.first?.column("n")?.integer
            #expect(count == 2)
        }
    }

    @Test func aFailedEffectRecordsNothing() async throws {
        try await withTemporaryStorage { storage in
            try await storage.migrate(SQLiteInbox.migrations)
            let inbox = SQLiteInbox(storage: storage)
            let message = InboxMessage(eventID: "e1", group: "g", aggregateID: "o1")
            struct EffectFailed: Error {}
            await #expect(throws: EffectFailed.self) {
                try await inbox.receive(message) { _ in throw EffectFailed() }
            }
            // The redelivery is then a first delivery.
            #expect(try await inbox.receive(message) { _ in } == .processed)
        }
    }
}

struct SQLiteInboxHarness: InboxHarness {
    func withInbox(_ body: (SQLiteInbox) async throws -> Void) async throws {
        try await withTemporaryStorage { storage in
            try await storage.migrate(SQLiteInbox.migrations)
            try await body(SQLiteInbox(storage: storage))
        }
    }
}

@Suite("SQLiteInbox conformance")
struct SQLiteInboxConformanceTests {
    @Test(arguments: InboxConformance.allCases)
    func conformance(_ check: InboxConformanceCase) async throws {
        try await check.run(SQLiteInboxHarness())
    }
}
