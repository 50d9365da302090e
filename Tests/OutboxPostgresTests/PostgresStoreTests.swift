import Foundation
import Logging
import Outbox
import OutboxPostgres
import OutboxTesting
import PostgresNIO
import TestSupport
import Testing

@Suite(.enabled(if: TestServers.postgresEnabled), .timeLimit(.minutes(2)))
struct PostgresStoreTests {
    let logger = Logger(label: "test")

    @Test func migrationsApplyOnceAndAreRecorded() async throws {
        try await TestSchema.with("migrate") { _, client in
            let store = try PostgresOutboxStore(client: client, logger: logger)
            let migrator = PostgresMigrator(store.migrations)
            let first = try await migrator.migrate(client: client, logger: logger)
            let second = try await migrator.migrate(client: client, logger: logger)
            #expect(first == ["outbox:pizza_order_outbox/0001_create_outbox", "outbox:pizza_order_outbox/0002_index_seq_and_failed_events"])
            #expect(second.isEmpty)
            let rows = try await client.queryRows("SELECT count(*) FROM schema_migrations", logger: logger)
            for count in try rows.map({ try $0.decode(Int.self) }) { #expect(count == 2) }
        }
    }

    @Test func concurrentMigratorsDoNotRace() async throws {
        try await TestSchema.with("migrate") { _, client in
            let store = try PostgresOutboxStore(client: client, logger: logger)
            let applied = try await withThrowingTaskGroup(of: [String].self) { group in
                for _ in 0..<4 {
                    group.addTask { try await PostgresMigrator(store.migrations).migrate(client: client, logger: logger) }
                }
                var all: [String] = []
                for try await names in group { all += names }
                return all
            }
            // Each migration applied by exactly one of the four.
            #expect(applied.sorted() == store.migrations.map(\.label).sorted())
        }
    }

    @Test func rejectsUnsafeTableNames() throws {
        #expect(throws: OutboxError.self) { try SQLIdentifier("orders; DROP TABLE x") }
        #expect(throws: OutboxError.self) { try SQLIdentifier("Upper") }
        #expect(throws: OutboxError.self) { try SQLIdentifier(String(repeating: "a", count: 64)) }
        #expect(try SQLIdentifier("pizza_order_outbox").name == "pizza_order_outbox")
    }

    @Test func enqueueIsPartOfTheCallersTransaction() async throws {
        try await TestSchema.with("tx") { _, client in
            let store = try PostgresOutboxStore(client: client, logger: logger)
            try await PostgresMigrator(store.migrations).migrate(client: client, logger: logger)
            struct Rollback: Error {}
            await #expect {
                try await client.transaction(logger: logger) { connection in
                    try await store.enqueue(
                        NewOutboxEvent(aggregateType: "T", aggregateID: "a", eventType: "E", payload: "{}"),
                        on: connection,
                        logger: logger
                    )
                    throw Rollback()
                }
            } throws: { error in
                (error as? PostgresTransactionError)?.closureError is Rollback
            }
            #expect(try await store.stats().pending == 0)
        }
    }

    @Test func enqueueAlongTheApplicationsStatementWritesBothOrNeither() async throws {
        try await TestSchema.with("along") { _, client in
            let store = try PostgresOutboxStore(client: client, logger: logger)
            try await PostgresMigrator(store.migrations).migrate(client: client, logger: logger)
            try await client.queryRows("CREATE TABLE things (id text PRIMARY KEY, n integer NOT NULL CHECK (n > 0))", logger: logger)
            let event = NewOutboxEvent(aggregateType: "Thing", aggregateID: "t1", eventType: "Made", payload: #"{"n":1}"#)
            try await client.transaction(logger: logger) { connection in
                try await store.enqueue([event], along: "INSERT INTO things (id, n) VALUES (\("t1"), \(1))", on: connection, logger: logger)
            }
            #expect(try await store.events(aggregateID: "t1").map(\.id) == [event.id])
            let rows = try await client.queryRows("SELECT count(*) FROM things", logger: logger)
            for count in try rows.map({ try $0.decode(Int.self) }) { #expect(count == 1) }
            // The application's statement fails: its events are not written either.
            let refused = NewOutboxEvent(aggregateType: "Thing", aggregateID: "t2", eventType: "Made", payload: "{}")
            await #expect(throws: (any Error).self) {
                try await client.transaction(logger: logger) { connection in
                    try await store.enqueue([refused], along: "INSERT INTO things (id, n) VALUES (\("t2"), \(0))", on: connection, logger: logger)
                }
            }
            #expect(try await store.events(aggregateID: "t2").isEmpty)
        }
    }

    /// The things table's insert, as a commit procedure runs it.
    static let thingsProcedure = PostgresCommitProcedure.make(
        name: "make_things",
        parameterTypes: ["text[]", "bigint[]"],
        statement: "INSERT INTO things (id, n) SELECT * FROM unnest($1::text[], $2::integer[])"
    )

    @Test func aCommitProcedureRefusesUnsafeDefinitionsAndWrongArguments() async throws {
        #expect(throws: OutboxError.self) { try PostgresCommitProcedure(name: "Make", parameterTypes: [], statement: "SELECT 1") }
        #expect(throws: OutboxError.self) {
            try PostgresCommitProcedure(name: "make", parameterTypes: ["text); DROP TABLE x; --"], statement: "SELECT 1")
        }
        #expect(throws: OutboxError.self) {
            try PostgresCommitProcedure(name: "make", parameterTypes: ["text"], statement: "SELECT $outbox_commit$ x $outbox_commit$")
        }
        #expect(throws: Never.self) {
            try PostgresCommitProcedure(name: "make", parameterTypes: ["numeric(10,2)[]", "timestamp with time zone"], statement: "SELECT 1")
        }
        try await TestSchema.with("procedure_args") { _, client in
            let store = try PostgresOutboxStore(client: client, logger: logger)
            await #expect(throws: OutboxError.self) {
                try await client.withConnection(logger: logger) { connection in
                    // One value for a procedure of two.
                    try await store.commit([], through: Self.thingsProcedure, binds: PostgresQuery("\(["a"])").binds, on: connection, logger: logger)
                }
            }
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func aCommitProcedureCommitsBothInOneCallAndWakesTheRelays() async throws {
        try await TestSchema.with("procedure") { schema, client in
            let store = try PostgresOutboxStore(client: client, logger: logger)
            try await client.queryRows("CREATE TABLE things (id text PRIMARY KEY, n integer NOT NULL CHECK (n > 0))", logger: logger)
            let migrations =
                store.migrations + [store.migration(creating: Self.thingsProcedure, component: "things", version: 1, name: "make_things")]
            try await PostgresMigrator(migrations).migrate(client: client, logger: logger)
            let signal = WakeUpSignal()
            let listener = try PostgresWakeUpListener(url: schema.parsed, channel: store.channel, signal: signal, logger: logger)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await listener.run() }
                await signal.wait()  // the listener's first signal, when it starts listening
                let events = ["t1", "t2"].map { NewOutboxEvent(aggregateType: "Thing", aggregateID: $0, eventType: "Made", payload: #"{"n":1}"#) }
                let values = PostgresQuery("\(["t1", "t2"]) \([1, 2])").binds
                try await client.withConnection(logger: logger) { connection in
                    try await store.commit(events, through: Self.thingsProcedure, binds: values, on: connection, logger: logger)
                }
                // Committed when the call returns: another connection sees both writes at once.
                #expect(try await store.events(aggregateID: "t1").map(\.id) == [events[0].id])
                #expect(try await store.events(aggregateID: "t2").map(\.id) == [events[1].id])
                let rows = try await client.queryRows("SELECT id, n FROM things ORDER BY id", logger: logger)
                #expect(try rows.map { try $0.decode((String, Int).self) }.map { "\($0.0)=\($0.1)" } == ["t1=1", "t2=2"])
                await signal.wait()  // the commit's NOTIFY
                group.cancelAll()
            }

            // The application's statement fails (n must be positive): neither it nor the events are stored.
            let refused = NewOutboxEvent(aggregateType: "Thing", aggregateID: "t3", eventType: "Made", payload: "{}")
            await #expect(throws: (any Error).self) {
                try await client.withConnection(logger: logger) { connection in
                    try await store.commit(
                        [refused],
                        through: Self.thingsProcedure,
                        binds: PostgresQuery("\(["t3"]) \([0])").binds,
                        on: connection,
                        logger: logger
                    )
                }
            }
            #expect(try await store.events(aggregateID: "t3").isEmpty)
            // Inside the caller's transaction the procedure cannot commit: PostgreSQL refuses the call.
            await #expect(throws: (any Error).self) {
                try await client.transaction(logger: logger) { connection in
                    try await store.commit(
                        [refused],
                        through: Self.thingsProcedure,
                        binds: PostgresQuery("\(["t4"]) \([4])").binds,
                        on: connection,
                        logger: logger
                    )
                }
            }
            #expect(try await store.events(aggregateID: "t3").isEmpty)
            let count = try await client.queryRows("SELECT count(*) FROM things", logger: logger)
            #expect(try count.first?.decode(Int.self) == 2)
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func listenerWakesOnCommit() async throws {
        try await TestSchema.with("listen") { schema, client in
            let store = try PostgresOutboxStore(client: client, logger: logger)
            try await PostgresMigrator(store.migrations).migrate(client: client, logger: logger)
            let signal = WakeUpSignal()
            let listener = try PostgresWakeUpListener(url: schema.parsed, channel: store.channel, signal: signal, logger: logger)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await listener.run() }
                // The listener signals once when it starts listening (to catch up); consume that first.
                await signal.wait()
                try await client.transaction(logger: logger) { connection in
                    try await store.enqueue(
                        NewOutboxEvent(aggregateType: "T", aggregateID: "a", eventType: "E", payload: "{}"),
                        on: connection,
                        logger: logger
                    )
                }
                await signal.wait()
                group.cancelAll()
            }
        }
    }

    @Test func relayDrainsIntoABrokerAndBacksOffOnFailures() async throws {
        try await TestSchema.with("relay") { _, client in
            let store = try PostgresOutboxStore(client: client, logger: logger)
            try await PostgresMigrator(store.migrations).migrate(client: client, logger: logger)
            let events = (0..<50).map { NewOutboxEvent(aggregateType: "T", aggregateID: "agg\($0 % 5)", eventType: "E", payload: #"{"n":\#($0)}"#) }
            try await client.transaction(logger: logger) { connection in
                try await store.enqueue(events, on: connection, logger: logger)
            }
            let broker = MemoryBroker()
            let relay = Relay(
                store: store,
                publisher: broker,
                configuration: RelayConfiguration(
                    topic: "t",
                    source: "test",
                    batchSize: 10,
                    retryPolicy: RetryPolicy(initialDelay: .zero, maxDelay: .zero, jitter: 0, maxAttempts: 2)
                ),
                logger: logger
            ) { event in
                if event.payload.contains(#""n": 7}"#) { throw StepFailure() }
            }
            var rounds = 0
            while try await store.stats().pending > 0, rounds < 200 {
                try await relay.runBatch()
                rounds += 1
            }
            let stats = try await store.stats()
            // Event 7 is parked after 2 attempts, and with it every later event of its aggregate (agg2).
            #expect(stats.failed == 1)
            #expect(stats.pending == 8)
            #expect(stats.completed == 41)
            let parked = try await store.events(aggregateID: "agg2")
            #expect(parked.first { $0.status == .failed }?.attempts == 2)
            #expect(parked.first { $0.status == .failed }?.lastError == "simulated")
        }
    }

    struct StepFailure: Error, CustomStringConvertible {
        var description: String { "simulated" }
    }
}

@Suite(.enabled(if: TestServers.postgresEnabled), .timeLimit(.minutes(2)))
struct PostgresRetentionTests {
    let logger = Logger(label: "test")

    @Test func onlyOnePurgerAtATime() async throws {
        try await TestSchema.with("retention") { _, client in
            let store = try PostgresOutboxStore(client: client, table: "test_outbox", logger: logger)
            try await PostgresMigrator(store.migrations).migrate(client: client, logger: logger)
            try await client.transaction(logger: logger) { connection in
                try await store.enqueue((0..<3).map { OutboxStoreConformance.event("a\($0)", $0) }, on: connection, logger: logger)
            }
            let batch = try await store.claim(limit: 10, owner: "r", leaseDuration: .seconds(30))
            try await store.complete(batch.events.map { .published(id: $0.id) }, owner: "r")
            let future = Date().addingTimeInterval(3600)
            // Another relay is purging: it holds the retention lock for the length of its transaction.
            try await client.transaction(logger: logger) { connection in
                try await connection.query(
                    "SELECT pg_advisory_xact_lock(hashtextextended(current_schema() || '/' || 'outbox-retention:test_outbox', 0))",
                    logger: logger
                )
                #expect(try await store.purgeCompleted(publishedBefore: future, limit: 10) == nil)
            }
            // Its transaction ended: this one purges.
            #expect(try await store.purgeCompleted(publishedBefore: future, limit: 10) == 3)
        }
    }
}

extension PostgresCommitProcedure {
    /// A procedure whose definition a test knows to be valid.
    static func make(name: String, parameterTypes: [String], statement: String) -> PostgresCommitProcedure {
        do {
            return try PostgresCommitProcedure(name: name, parameterTypes: parameterTypes, statement: statement)
        } catch {
            preconditionFailure("\(error)")
        }
    }
}
