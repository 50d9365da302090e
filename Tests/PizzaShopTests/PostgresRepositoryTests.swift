import Foundation
import Logging
import Outbox
import OutboxPostgres
import OutboxTesting
import PizzaShop
import PizzaShopPostgres
import PostgresNIO
import TestSupport
import Testing

@Suite(.enabled(if: TestServers.postgresEnabled), .timeLimit(.minutes(2)))
struct PostgresRepositoryTests {
    let logger = Logger(label: "test")

    @Test func createWritesOrderAndEventAtomicallyWithExactPrice() async throws {
        try await TestSchema.with("repo") { _, client in
            let outbox = try PostgresOutboxStore(client: client, logger: logger)
            let repository = PostgresPizzaOrderRepository(client: client, outbox: outbox, logger: logger)
            try await PostgresMigrator(repository.migrations).migrate(client: client, logger: logger)
            var new = try ValidationTests.parse(ValidationTests.valid)
            new.price = Money(cents: 9_999_999_999)
            let (order, eventID) = try await repository.create(new, headers: ["traceparent": "00-abc"])
            let view = try #require(try await repository.find(id: order.id))
            #expect(view.order == order)
            #expect(view.events.map(\.id) == [eventID])
            #expect(view.events.first?.status == .pending && view.events.first?.attempts == 0)
            // -- the column is numeric, not a float
            let rows = try await client.queryRows("SELECT price::text FROM pizza_orders WHERE id = \(order.id)", logger: logger)
            for text in try rows.map({ try $0.decode(String.self) }) { #expect(text == "99999999.99") }
            let event = try #require(try await outbox.events(aggregateID: order.id.uuidString.lowercased()).first)
            #expect(event.headers["traceparent"] == "00-abc")
            let payload = try PizzaJSON.decoder().decode(PizzaOrder.self, from: Data(event.payload.utf8))
            #expect(payload == order)
            #expect(try await repository.find(id: UUID()) == nil)
            #expect(try await repository.all() == [order])
        }
    }

    /// A commit that fails after the statement completed must fail the create. In the extended
    /// protocol an autocommitted statement reports CommandComplete before it commits at Sync, so
    /// this failed only when the repository wrote without an explicit transaction.
    @Test func aCommitThatFailsFailsTheCreateAndStoresNothing() async throws {
        try await TestSchema.with("repo_commit") { _, client in
            let outbox = try PostgresOutboxStore(client: client, logger: logger)
            let repository = PostgresPizzaOrderRepository(client: client, outbox: outbox, logger: logger)
            try await PostgresMigrator(repository.migrations).migrate(client: client, logger: logger)
            // -- a deferred constraint trigger runs at commit, after the statement has completed
            _ = try await client.queryRows(
                """
                CREATE FUNCTION refuse_at_commit() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    IF NEW.user_name = 'Refused At Commit' THEN RAISE EXCEPTION 'refused at commit'; END IF;
                    RETURN NULL;
                END $$
                """,
                logger: logger
            )
            _ = try await client.queryRows(
                """
                CREATE CONSTRAINT TRIGGER refuse_at_commit AFTER INSERT ON pizza_orders
                DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION refuse_at_commit()
                """,
                logger: logger
            )
            var refused = try ValidationTests.parse(ValidationTests.valid)
            refused.userName = "Refused At Commit"
            await #expect(throws: (any Error).self) { _ = try await repository.create(refused, headers: [:]) }
            #expect(try await repository.all().isEmpty)
            #expect(try await outbox.allEvents().isEmpty)
            // -- the next order commits as usual on the same pool
            let (order, _) = try await repository.create(try ValidationTests.parse(ValidationTests.valid), headers: [:])
            #expect(try await repository.all() == [order])
        }
    }
}
