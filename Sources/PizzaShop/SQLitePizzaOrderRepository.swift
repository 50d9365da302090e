import Foundation
import Outbox
import OutboxSQLite
import SQLiteNIO

/// Orders in SQLite: the order row and its outbox event commit together. Prices are integer cents.
public struct SQLitePizzaOrderRepository: PizzaOrderRepository, ProducerLedgerSource {
    public let outbox: SQLiteOutboxStore
    var storage: SQLiteStorage { outbox.storage }

    public init(outbox: SQLiteOutboxStore) {
        self.outbox = outbox
    }

    /// The outbox's migrations followed by the pizza shop's.
    public var migrations: [SchemaMigration] {
        outbox.migrations + [
            SchemaMigration(component: "pizza", version: 1, name: "create_pizza_orders", statements: [
                """
                CREATE TABLE IF NOT EXISTS pizza_orders (
                    id TEXT PRIMARY KEY,
                    flavor TEXT NOT NULL,
                    size TEXT NOT NULL,
                    quantity INTEGER NOT NULL CHECK (quantity BETWEEN 1 AND 100),
                    price_cents INTEGER NOT NULL CHECK (price_cents >= 0),
                    address TEXT NOT NULL,
                    user_name TEXT NOT NULL,
                    created_at INTEGER NOT NULL
                )
                """,
            ]),
        ]
    }

    public func create(_ new: NewPizzaOrder, headers: [String: String]) async throws -> (order: PizzaOrder, eventID: UUID) {
        let order = PizzaOrder(id: UUID(), order: new, createdAt: Date.now.roundedToMilliseconds)
        let event = try order.createdEvent(id: UUID(), headers: headers)
        try await storage.write { connection in
            // -- the order
            _ = try await connection.query("""
                INSERT INTO pizza_orders (id, flavor, size, quantity, price_cents, address, user_name, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """, [
                    .text(order.id.uuidString.lowercased()), .text(order.flavor), .text(order.size), .integer(order.quantity),
                    .integer(Int(order.price.cents)), .text(order.address), .text(order.userName),
                    SQLiteStorage.milliseconds(order.createdAt),
                ])
            // -- its event, in the same transaction
            try await outbox.enqueue([event], on: connection)
        }
        outbox.committed()
        return (order, event.id)
    }

    public func find(id: UUID) async throws -> PizzaOrderView? {
        let rows = try await storage.read { connection in
            try await connection.query("SELECT * FROM pizza_orders WHERE id = ?", [.text(id.uuidString.lowercased())])
        }
        guard let row = rows.first, let order = Self.order(row) else { return nil }
        return PizzaOrderView(order: order, events: try await outbox.events(aggregateID: id.uuidString.lowercased()))
    }

    public func checkReady() async throws {
        _ = try await storage.read { connection in try await connection.query("SELECT 1") }
    }

    /// Every order, oldest first.
    public func all() async throws -> [PizzaOrder] {
        let rows = try await storage.read { connection in
            try await connection.query("SELECT * FROM pizza_orders ORDER BY created_at, id")
        }
        return rows.compactMap(Self.order)
    }

    public func orderIDs() async throws -> [String] {
        let rows = try await storage.read { connection in try await connection.query("SELECT id FROM pizza_orders") }
        return rows.compactMap { $0.column("id")?.string }
    }

    public func outboxEvents() async throws -> [OutboxEvent] {
        try await outbox.allEvents()
    }

    static func order(_ row: SQLiteRow) -> PizzaOrder? {
        guard let idText = row.column("id")?.string, let id = UUID(uuidString: idText),
              let cents = row.column("price_cents")?.integer, let created = row.column("created_at")?.integer
        else { return nil }
        let new = NewPizzaOrder(
            flavor: row.column("flavor")?.string ?? "", size: row.column("size")?.string ?? "",
            quantity: row.column("quantity")?.integer ?? 0, price: Money(cents: Int64(cents)),
            address: row.column("address")?.string ?? "", userName: row.column("user_name")?.string ?? ""
        )
        return PizzaOrder(id: id, order: new, createdAt: Date(timeIntervalSince1970: Double(created) / 1000).roundedToMilliseconds)
    }
}
