import Foundation
import Logging
import Outbox
import OutboxPostgres
import PostgresNIO

/// Orders in PostgreSQL: the order row and its outbox event commit together.
public struct PostgresPizzaOrderRepository: PizzaOrderRepository {
    public let client: PostgresClient
    public let outbox: PostgresOutboxStore
    let logger: Logger

    public init(client: PostgresClient, outbox: PostgresOutboxStore, logger: Logger) {
        self.client = client
        self.outbox = outbox
        self.logger = logger
    }

    /// The pizza shop's own migrations followed by the outbox's.
    public var migrations: [SchemaMigration] {
        outbox.migrations + [
            SchemaMigration(component: "pizza", version: 1, name: "create_pizza_orders", statements: [
                """
                CREATE TABLE IF NOT EXISTS pizza_orders (
                    id uuid PRIMARY KEY,
                    flavor text NOT NULL,
                    size text NOT NULL,
                    quantity integer NOT NULL CHECK (quantity BETWEEN 1 AND 100),
                    price numeric(10, 2) NOT NULL CHECK (price >= 0),
                    address text NOT NULL,
                    user_name text NOT NULL,
                    created_at timestamptz NOT NULL DEFAULT now()
                )
                """,
            ]),
            SchemaMigration(component: "pizza", version: 2, name: "add_order_status", statements: [
                """
                ALTER TABLE pizza_orders
                    ADD COLUMN IF NOT EXISTS status text NOT NULL DEFAULT 'received'
                        CHECK (status IN ('received', 'baking', 'out_for_delivery', 'delivered', 'cancelled')),
                    ADD COLUMN IF NOT EXISTS updated_at timestamptz
                """,
            ]),
        ]
    }

    public func create(_ new: NewPizzaOrder, headers: [String: String]) async throws -> (order: PizzaOrder, eventID: UUID) {
        let order = PizzaOrder(id: UUID(), order: new, createdAt: Date.now.roundedToMilliseconds)
        let event = try order.createdEvent(id: UUID(), headers: headers)
        try await client.withTransaction(logger: logger) { connection in
            // -- the order; price travels as integer cents and is stored exactly as numeric
            try await connection.query("""
                INSERT INTO pizza_orders (id, flavor, size, quantity, price, address, user_name, created_at)
                VALUES (\(order.id), \(order.flavor), \(order.size), \(order.quantity),
                        \(order.price.cents)::numeric / 100, \(order.address), \(order.userName), \(order.createdAt))
                """, logger: logger)
            // -- its event, in the same transaction
            try await outbox.enqueue(event, on: connection, logger: logger)
        }
        return (order, event.id)
    }

    public func changeStatus(id: UUID, to status: OrderStatus, headers: [String: String]) async throws -> (order: PizzaOrder, eventID: UUID) {
        do {
            return try await changeStatusInTransaction(id: id, to: status, headers: headers)
        } catch let error as PostgresTransactionError {
            // A refusal decided inside the transaction is the client's answer, not a database error.
            if let refusal = error.closureError as? PizzaShopError { throw refusal }
            throw error
        }
    }

    private func changeStatusInTransaction(id: UUID, to status: OrderStatus, headers: [String: String]) async throws -> (order: PizzaOrder, eventID: UUID) {
        try await client.withTransaction(logger: logger) { connection in
            // -- lock the order: concurrent changes of one order queue here, so their events commit in order
            let rows = try await connection.query("""
                SELECT \(unescaped: Self.orderColumns) FROM pizza_orders WHERE id = \(id) FOR UPDATE
                """, logger: logger)
            guard var order = try await Self.decodeOrders(rows).first else { throw PizzaOrder.notFound(id) }
            guard order.status.canMove(to: status) else { throw OrderStatusChange.conflict(id, from: order.status, to: status) }
            let change = OrderStatusChange(orderID: id, from: order.status, to: status, changedAt: Date.now.roundedToMilliseconds)
            let event = try change.event(id: UUID(), headers: headers)
            // -- the new status
            try await connection.query("""
                UPDATE pizza_orders SET status = \(status.rawValue), updated_at = \(change.changedAt) WHERE id = \(id)
                """, logger: logger)
            // -- its event, in the same transaction
            try await outbox.enqueue(event, on: connection, logger: logger)
            order.status = status
            return (order, event.id)
        }
    }

    public func find(id: UUID) async throws -> PizzaOrderView? {
        // -- the order, price back in cents
        let rows = try await client.query("""
            SELECT \(unescaped: Self.orderColumns) FROM pizza_orders WHERE id = \(id)
            """, logger: logger)
        guard let order = try await Self.decodeOrders(rows).first else { return nil }
        return PizzaOrderView(order: order, events: try await outbox.events(aggregateID: id.uuidString.lowercased()))
    }

    public func checkReady() async throws {
        try await outbox.ping()
    }

    /// Every order, oldest first (for verification tools and tests).
    public func all() async throws -> [PizzaOrder] {
        // -- all orders with exact prices
        let rows = try await client.query("""
            SELECT \(unescaped: Self.orderColumns) FROM pizza_orders ORDER BY created_at, id
            """, logger: logger)
        return try await Self.decodeOrders(rows)
    }

    static let orderColumns = "id, flavor, size, quantity, (price * 100)::bigint, address, user_name, created_at, status"

    static func decodeOrders(_ rows: PostgresRowSequence) async throws -> [PizzaOrder] {
        var orders: [PizzaOrder] = []
        for try await row in rows.decode((UUID, String, String, Int, Int64, String, String, Date, String).self) {
            let new = NewPizzaOrder(
                flavor: row.1, size: row.2, quantity: row.3, price: Money(cents: row.4), address: row.5, userName: row.6
            )
            orders.append(PizzaOrder(id: row.0, order: new, createdAt: row.7.roundedToMilliseconds, status: OrderStatus(rawValue: row.8) ?? .received))
        }
        return orders
    }
}
