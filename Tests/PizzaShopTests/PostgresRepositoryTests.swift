import Foundation
import Logging
import Outbox
import OutboxPostgres
import OutboxTesting
import PizzaShop
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
            let rows = try await client.query("SELECT price::text FROM pizza_orders WHERE id = \(order.id)", logger: logger)
            for try await text in rows.decode(String.self) { #expect(text == "99999999.99") }
            let event = try #require(try await outbox.events(aggregateID: order.id.uuidString.lowercased()).first)
            #expect(event.headers["traceparent"] == "00-abc")
            let payload = try PizzaJSON.decoder().decode(PizzaOrder.self, from: Data(event.payload.utf8))
            #expect(payload == order)
            #expect(try await repository.find(id: UUID()) == nil)
            #expect(try await repository.all() == [order])
        }
    }

    @Test("concurrent orders share transactions; an order the database refuses fails alone")
    func groupCommit() async throws {
        try await TestSchema.with("repo_group") { _, client in
            let outbox = try PostgresOutboxStore(client: client, logger: logger)
            let repository = PostgresPizzaOrderRepository(
                client: client, outbox: outbox, logger: logger, groupCommit: .init(maxOrders: 8, concurrentTransactions: 1)
            )
            try await PostgresMigrator(repository.migrations).migrate(client: client, logger: logger)
            let valid = try ValidationTests.parse(ValidationTests.valid)
            // Past the table's CHECK (the API would have refused it first).
            let refused = { var order = valid; order.quantity = 1000; return order }()
            let results = await withTaskGroup(of: (Int, UUID?).self) { group in
                for index in 0..<40 {
                    group.addTask {
                        let order = index == 17 ? refused : valid
                        return (index, try? await repository.create(order, headers: [:]).order.id)
                    }
                }
                var results: [Int: UUID?] = [:]
                for await (index, id) in group { results[index] = id }
                return results
            }
            #expect(results[17] == .some(nil))
            let accepted = Set(results.values.compactMap { $0 })
            #expect(accepted.count == 39)
            // Every accepted order is stored with its event; nothing of the refused one is.
            #expect(Set(try await repository.all().map(\.id)) == accepted)
            let events = try await outbox.allEvents()
            #expect(Set(events.map(\.aggregateID)) == Set(accepted.map { $0.uuidString.lowercased() }))
            #expect(events.count == 39)
        }
    }
}
