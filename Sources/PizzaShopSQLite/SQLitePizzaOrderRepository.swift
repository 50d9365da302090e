import Foundation
import Outbox
import OutboxSQLite
import PizzaShop
import SQLiteNIO

/// Orders in SQLite: the order row and its outbox event commit together. Prices are integer cents.
/// New orders that arrive while a write is in progress share the next transaction (group commit:
/// SQLite has one writer, so one commit at a time, each answered after it).
public struct SQLitePizzaOrderRepository: PizzaOrderRepository, ProducerLedgerSource {
    public let outbox: SQLiteOutboxStore
    var storage: SQLiteStorage { outbox.storage }
    private let creates: GroupCommit<NewOrderRows, Void>

    public init(outbox: SQLiteOutboxStore, maxOrdersPerTransaction: Int = 64) {
        self.outbox = outbox
        self.creates = GroupCommit(maxBatch: maxOrdersPerTransaction, maxConcurrentCommits: 1) { rows in
            try await outbox.storage.write { connection in
                for row in rows { try await Self.insert(row.order, event: row.event, on: connection, outbox: outbox) }
            }
            outbox.committed()
            return Array(repeating: (), count: rows.count)
        }
    }

    /// The outbox's migrations followed by the pizza shop's.
    public var migrations: [SchemaMigration] {
        outbox.migrations + [
            SchemaMigration(
                component: "pizza",
                version: 1,
                name: "create_pizza_orders",
                statements: [
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
                    """
                ]
            ),
            SchemaMigration(
                component: "pizza",
                version: 2,
                name: "add_order_status",
                statements: [
                    """
                    ALTER TABLE pizza_orders ADD COLUMN status TEXT NOT NULL DEFAULT 'received'
                        CHECK (status IN ('received', 'baking', 'out_for_delivery', 'delivered', 'cancelled'))
                    """,
                    "ALTER TABLE pizza_orders ADD COLUMN updated_at INTEGER",
                ]
            ),
            SchemaMigration(
                component: "pizza",
                version: 3,
                name: "create_idempotency_keys",
                statements: [
                    """
                    CREATE TABLE IF NOT EXISTS idempotency_keys (
                        key TEXT PRIMARY KEY,
                        fingerprint TEXT NOT NULL,
                        order_id TEXT NOT NULL,
                        event_id TEXT NOT NULL,
                        created_at INTEGER NOT NULL
                    )
                    """
                ]
            ),
        ]
    }

    public func create(_ new: NewPizzaOrder, headers: [String: String]) async throws -> (order: PizzaOrder, eventID: UUID) {
        let order = PizzaOrder(id: UUID(), order: new, createdAt: Date.now.roundedToMilliseconds)
        let event = try order.createdEvent(id: UUID(), headers: headers)
        try await creates.submit(NewOrderRows(order: order, event: event))
        return (order, event.id)
    }

    public func create(_ new: NewPizzaOrder, headers: [String: String], idempotency: IdempotencyKey) async throws -> CreatedOrder {
        let order = PizzaOrder(id: UUID(), order: new, createdAt: Date.now.roundedToMilliseconds)
        let event = try order.createdEvent(id: UUID(), headers: headers)
        let now = Date()
        let result = try await storage.write { connection -> CreatedOrder in
            // -- the key, if it is remembered and not expired (writers are serialised: no race)
            let known = try await connection.query(
                """
                SELECT k.fingerprint, k.event_id, o.* FROM idempotency_keys k JOIN pizza_orders o ON o.id = k.order_id
                WHERE k.key = ? AND k.created_at > ?
                """,
                [.text(idempotency.key), SQLiteStorage.milliseconds(now.addingTimeInterval(-idempotency.ttl.seconds))]
            )
            if let row = known.first {
                guard row.column("fingerprint")?.string == idempotency.fingerprint else { throw IdempotencyKey.reused(idempotency.key) }
                guard let original = Self.order(row), let eventID = row.column("event_id")?.string.flatMap(UUID.init(uuidString:)) else {
                    throw PizzaShopError(.internalError, "an idempotency key names a missing order")
                }
                return CreatedOrder(order: original, eventID: eventID, replayed: true)
            }
            // -- remember the key (replacing an expired one) with the order it creates
            _ = try await connection.query(
                """
                INSERT OR REPLACE INTO idempotency_keys (key, fingerprint, order_id, event_id, created_at) VALUES (?, ?, ?, ?, ?)
                """,
                [
                    .text(idempotency.key), .text(idempotency.fingerprint), .text(order.id.uuidString.lowercased()),
                    .text(event.id.uuidString.lowercased()), SQLiteStorage.milliseconds(now),
                ]
            )
            try await Self.insert(order, event: event, on: connection, outbox: outbox)
            return CreatedOrder(order: order, eventID: event.id, replayed: false)
        }
        if !result.replayed { outbox.committed() }
        return result
    }

    public func purgeIdempotencyKeys(olderThan ttl: Duration) async throws -> Int {
        try await storage.write { connection in
            // -- forget expired keys
            try await connection.query(
                "DELETE FROM idempotency_keys WHERE created_at <= ? RETURNING key",
                [SQLiteStorage.milliseconds(Date().addingTimeInterval(-ttl.seconds))]
            ).count
        }
    }

    private static func insert(_ order: PizzaOrder, event: NewOutboxEvent, on connection: SQLiteConnection, outbox: SQLiteOutboxStore) async throws {
        // -- the order
        _ = try await connection.query(
            """
            INSERT INTO pizza_orders (id, flavor, size, quantity, price_cents, address, user_name, created_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """,
            [
                .text(order.id.uuidString.lowercased()), .text(order.flavor), .text(order.size), .integer(order.quantity),
                .integer(Int(order.price.cents)), .text(order.address), .text(order.userName),
                SQLiteStorage.milliseconds(order.createdAt),
            ]
        )
        // -- its event, in the same transaction
        try await outbox.enqueue([event], on: connection)
    }

    public func changeStatus(id: UUID, to status: OrderStatus, headers: [String: String]) async throws -> (order: PizzaOrder, eventID: UUID) {
        let result = try await storage.write { connection -> (PizzaOrder, UUID) in
            // -- the order as it is now (the write transaction already excludes other writers)
            let rows = try await connection.query(
                "SELECT * FROM pizza_orders WHERE id = ?",
                [.text(id.uuidString.lowercased())]
            )
            guard var order = rows.first.flatMap(Self.order) else { throw PizzaOrder.notFound(id) }
            guard order.status.canMove(to: status) else { throw OrderStatusChange.conflict(id, from: order.status, to: status) }
            let change = OrderStatusChange(orderID: id, from: order.status, to: status, changedAt: Date.now.roundedToMilliseconds)
            let event = try change.event(id: UUID(), headers: headers)
            // -- the new status
            _ = try await connection.query(
                "UPDATE pizza_orders SET status = ?, updated_at = ? WHERE id = ?",
                [.text(status.rawValue), SQLiteStorage.milliseconds(change.changedAt), .text(id.uuidString.lowercased())]
            )
            // -- its event, in the same transaction
            try await outbox.enqueue([event], on: connection)
            order.status = status
            return (order, event.id)
        }
        outbox.committed()
        return (order: result.0, eventID: result.1)
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
            flavor: row.column("flavor")?.string ?? "",
            size: row.column("size")?.string ?? "",
            quantity: row.column("quantity")?.integer ?? 0,
            price: Money(cents: Int64(cents)),
            address: row.column("address")?.string ?? "",
            userName: row.column("user_name")?.string ?? ""
        )
        return PizzaOrder(
            id: id,
            order: new,
            createdAt: Date(timeIntervalSince1970: Double(created) / 1000).roundedToMilliseconds,
            status: row.column("status")?.string.flatMap(OrderStatus.init(rawValue:)) ?? .received
        )
    }
}
