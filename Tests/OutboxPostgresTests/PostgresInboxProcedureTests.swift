import Foundation
import Logging
import Outbox
import OutboxPostgres
import PostgresNIO
import TestSupport
import Testing

/// The inbox's one-call procedure against its transaction of several statements: the same outcomes
/// and the same effects, batch after batch.
@Suite(.enabled(if: TestServers.postgresEnabled), .timeLimit(.minutes(2)))
struct PostgresInboxProcedureTests {
    let logger = Logger(label: "test")

    /// Records the applied events in `effects`, in batch order.
    static let applyEffects = makeProcedure(
        name: "apply_effects",
        parameterTypes: ["uuid[]"],
        statement: """
            INSERT INTO effects (event_id)
            SELECT id FROM unnest($1::uuid[]) WITH ORDINALITY AS e(id, n) WHERE n = ANY(outbox_applied) ORDER BY n
            """
    )

    static func makeProcedure(name: String, parameterTypes: [String], statement: String) -> PostgresCommitProcedure {
        do {
            return try PostgresCommitProcedure(name: name, parameterTypes: parameterTypes, statement: statement)
        } catch {
            preconditionFailure("\(error)")
        }
    }

    /// An inbox with the `effects` table and the procedure.
    func withInbox(_ prefix: String, _ body: (PostgresInbox, PostgresPool) async throws -> Void) async throws {
        try await TestSchema.with(prefix) { _, client in
            let migrations =
                PostgresInbox.migrations + [
                    SchemaMigration(
                        component: "effects",
                        version: 1,
                        name: "create_effects",
                        statements: [
                            "CREATE TABLE effects (position bigserial PRIMARY KEY, event_id uuid NOT NULL CHECK (event_id <> '00000000-0000-0000-0000-000000000000'))"
                        ]
                    ),
                    PostgresInbox.migration(creating: Self.applyEffects, component: "effects", version: 2, name: "apply_effects"),
                ]
            try await PostgresMigrator(migrations).migrate(client: client, logger: logger)
            try await body(PostgresInbox(client: client, logger: logger), client)
        }
    }

    func effects(_ client: PostgresPool) async throws -> [UUID] {
        try await client.queryRows("SELECT event_id FROM effects ORDER BY position", logger: logger).map { try $0.decode(UUID.self) }
    }

    /// A deterministic generator, so that a failing sequence can be replayed.
    struct SplitMix: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    /// With order checks the procedure decides message by message; without, in one statement.
    @Test(arguments: [true, false])
    func theProcedureDecidesAsTheTransactionDoes(orderChecks: Bool) async throws {
        // Three orders of four events each, in two groups; batches pick events at random, with
        // repeats, and (with order checks) events ahead of their previous one and unchecked ones.
        let events = (0..<3).map { _ in (0..<4).map { _ in UUID() } }
        var random = SplitMix(state: 20_261_207)
        var batches: [[InboxMessage]] = []
        for _ in 0..<60 {
            batches.append(
                (0..<Int.random(in: 1...6, using: &random)).map { _ in
                    let order = Int.random(in: 0..<3, using: &random)
                    let step = Int.random(in: 0..<4, using: &random)
                    let checked = orderChecks && Int.random(in: 0..<5, using: &random) > 0
                    return InboxMessage(
                        eventID: events[order][step].uuidString.lowercased(),
                        group: Int.random(in: 0..<4, using: &random) == 0 ? "h" : "g",
                        aggregateID: "o\(order)",
                        previousEventID: step > 0 && checked ? events[order][step - 1].uuidString.lowercased() : nil
                    )
                }
            )
        }
        let logger = logger
        try await withInbox("inbox_tx") { transactional, left in
            try await withInbox("inbox_call") { procedural, right in
                var kinds: Set<String> = []
                for batch in batches {
                    let expected = try await transactional.receive(batch: batch) { connection, applied in
                        let ids = applied.compactMap { UUID(uuidString: $0.eventID) }
                        try await connection.query(
                            "INSERT INTO effects (event_id) SELECT id FROM unnest(\(ids)::uuid[]) WITH ORDINALITY AS e(id, n) ORDER BY n",
                            logger: logger
                        )
                    }
                    let ids = batch.compactMap { UUID(uuidString: $0.eventID) }
                    let outcomes = try await procedural.receive(batch: batch, through: Self.applyEffects, binds: PostgresQuery("\(ids)").binds)
                    for outcome in expected {
                        switch outcome {
                        case .processed: kinds.insert("processed")
                        case .duplicate: kinds.insert("duplicate")
                        case .outOfOrder: kinds.insert("out of order")
                        }
                    }
                    #expect(outcomes == expected, "batch \(batch.map { "\($0.group) \($0.aggregateID) \($0.eventID.prefix(4))" })")
                }
                #expect(
                    kinds == (orderChecks ? ["processed", "duplicate", "out of order"] : ["processed", "duplicate"]),
                    "the sequence should meet every rule"
                )
                let applied = try await effects(left)
                #expect(try await effects(right) == applied)
                #expect(applied.count >= 6, "the sequence should apply a good part of the twelve events per group")
                // The inboxes agree too.
                let query: PostgresQuery = "SELECT consumer_group, event_id, delivery_count FROM consumer_inbox ORDER BY 1, 2"
                let a = try await left.queryRows(query, logger: logger).map { try $0.decode((String, UUID, Int).self) }
                let b = try await right.queryRows(query, logger: logger).map { try $0.decode((String, UUID, Int).self) }
                #expect(a.map { "\($0.0) \($0.1) \($0.2)" } == b.map { "\($0.0) \($0.1) \($0.2)" })
            }
        }
    }

    @Test func racingCallsApplyEachEventOnce() async throws {
        try await withInbox("inbox_race") { inbox, client in
            let ids = (0..<5).map { _ in UUID() }
            let batch = ids.map { InboxMessage(eventID: $0.uuidString.lowercased(), group: "g", aggregateID: "o") }
            let outcomes = try await withThrowingTaskGroup(of: [InboxOutcome].self) { group in
                for _ in 0..<4 {
                    group.addTask { try await inbox.receive(batch: batch, through: Self.applyEffects, binds: PostgresQuery("\(ids)").binds) }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            // Each event took effect in exactly one of the four calls; the others saw repeats.
            for index in ids.indices {
                #expect(outcomes.filter { $0[index] == .processed }.count == 1)
            }
            #expect(try await effects(client).sorted { $0.uuidString < $1.uuidString } == ids.sorted { $0.uuidString < $1.uuidString })
        }
    }

    @Test func aFailingEffectRecordsNothing() async throws {
        try await withInbox("inbox_fail") { inbox, client in
            let good = UUID()
            let zero = UUID(uuid: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0))
            // The effect of the second message violates the effects table's check: the call fails whole.
            let batch = [good, UUID()].map { InboxMessage(eventID: $0.uuidString.lowercased(), group: "g", aggregateID: "o") }
            await #expect(throws: PSQLError.self) {
                try await inbox.receive(batch: batch, through: Self.applyEffects, binds: PostgresQuery("\([good, zero])").binds)
            }
            #expect(try await effects(client).isEmpty)
            let recorded = try await client.queryRows("SELECT count(*) FROM consumer_inbox", logger: logger)
            #expect(try recorded.first?.decode(Int.self) == 0)
            // Delivered again with a good effect, both take effect.
            let outcomes = try await inbox.receive(batch: batch, through: Self.applyEffects, binds: PostgresQuery("\([good, UUID()])").binds)
            #expect(outcomes == [.processed, .processed])
            // And a value count that does not fit the procedure is refused before anything runs.
            await #expect(throws: OutboxError.self) {
                try await inbox.receive(batch: batch, through: Self.applyEffects, binds: PostgresBindings())
            }
        }
    }
}
