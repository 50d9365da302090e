import Foundation
import Logging
import Outbox
import OutboxPostgres
import PizzaShop
import PostgresNIO

/// Orders in PostgreSQL: the order row and its outbox event commit together. Concurrent new orders
/// share transactions (group commit): each request is answered after the commit holding its order.
public struct PostgresPizzaOrderRepository: PizzaOrderRepository {
    public let client: any PostgresConnectionSource
    public let outbox: PostgresOutboxStore
    let logger: Logger
    private let creates: GroupCommit<NewOrderRows, Void>

    /// How new orders share transactions.
    public struct GroupCommitOptions: Sendable {
        /// The most orders one transaction takes (1: a transaction per order).
        public var maxOrders: Int
        /// Transactions of new orders in flight at once; orders arriving meanwhile share the next one.
        public var concurrentTransactions: Int

        public init(maxOrders: Int = 64, concurrentTransactions: Int = 2) {
            self.maxOrders = maxOrders
            self.concurrentTransactions = concurrentTransactions
        }
    }

    public init(client: any PostgresConnectionSource, outbox: PostgresOutboxStore, logger: Logger, groupCommit: GroupCommitOptions = .init()) {
        self.client = client
        self.outbox = outbox
        self.logger = logger
        self.creates = GroupCommit(maxBatch: groupCommit.maxOrders, maxConcurrentCommits: groupCommit.concurrentTransactions) { orders in
            // One round trip: the procedure writes the orders and their events and commits inside the
            // call, so the 201s leave only after the commit (and its synchronous replication).
            try await client.withConnection(logger: logger) { connection in
                try await outbox.commit(orders.map(\.event), through: Self.createProcedure, binds: Self.binds(orders), on: connection, logger: logger)
            }
            return Array(repeating: (), count: orders.count)
        }
    }

    /// The orders' insert, reading `$1`…`$8` (see `binds(_:)`); price travels as integer cents and is
    /// stored exactly as numeric.
    static let insertOrders = """
        INSERT INTO pizza_orders (id, flavor, size, quantity, price, address, user_name, created_at)
        SELECT id, flavor, size, quantity, cents::numeric / 100, address, user_name, created_at
        FROM unnest($1::uuid[], $2::text[], $3::text[], $4::integer[], $5::bigint[], $6::text[], $7::text[], $8::timestamptz[])
            AS o(id, flavor, size, quantity, cents, address, user_name, created_at)
        """

    /// New orders and their events, committed in one call (created by the `pizza` migration 4).
    static let createProcedure: PostgresCommitProcedure = {
        do {
            return try PostgresCommitProcedure(
                name: "pizza_create_orders",
                parameterTypes: ["uuid[]", "text[]", "text[]", "bigint[]", "bigint[]", "text[]", "text[]", "timestamptz[]"],
                statement: insertOrders
            )
        } catch {
            preconditionFailure("the order procedure's definition is invalid: \(error)")
        }
    }()

    /// The pizza shop's own migrations followed by the outbox's.
    public var migrations: [SchemaMigration] {
        outbox.migrations + [
            SchemaMigration(
                component: "pizza",
                version: 1,
                name: "create_pizza_orders",
                statements: [
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
                    """
                ]
            ),
            SchemaMigration(
                component: "pizza",
                version: 2,
                name: "add_order_status",
                statements: [
                    """
                    ALTER TABLE pizza_orders
                        ADD COLUMN IF NOT EXISTS status text NOT NULL DEFAULT 'received'
                            CHECK (status IN ('received', 'baking', 'out_for_delivery', 'delivered', 'cancelled')),
                        ADD COLUMN IF NOT EXISTS updated_at timestamptz
                    """
                ]
            ),
            SchemaMigration(
                component: "pizza",
                version: 3,
                name: "create_idempotency_keys",
                statements: [
                    """
                    CREATE TABLE IF NOT EXISTS idempotency_keys (
                        key text PRIMARY KEY,
                        fingerprint text NOT NULL,
                        order_id uuid NOT NULL,
                        event_id uuid NOT NULL,
                        created_at timestamptz NOT NULL DEFAULT now()
                    )
                    """,
                    "CREATE INDEX IF NOT EXISTS idempotency_keys_created_idx ON idempotency_keys (created_at)",
                ]
            ),
            outbox.migration(creating: Self.createProcedure, component: "pizza", version: 4, name: "create_order_commit_procedure"),
        ]
    }

    public func create(_ new: NewPizzaOrder, headers: [String: String]) async throws -> (order: PizzaOrder, eventID: UUID) {
        let order = PizzaOrder(id: UUID(), order: new, createdAt: Date.now.roundedToMilliseconds)
        let event = try order.createdEvent(id: UUID(), headers: headers)
        try await creates.submit(NewOrderRows(order: order, event: event))
        return (order, event.id)
    }

    /// The values of `insertOrders` for `rows`, `$1` first.
    static func binds(_ rows: [NewOrderRows]) -> PostgresBindings {
        var binds = PostgresBindings(capacity: 8)
        binds.append(rows.map(\.order.id))
        binds.append(rows.map(\.order.flavor))
        binds.append(rows.map(\.order.size))
        binds.append(rows.map(\.order.quantity))
        binds.append(rows.map(\.order.price.cents))
        binds.append(rows.map(\.order.address))
        binds.append(rows.map(\.order.userName))
        binds.append(rows.map(\.order.createdAt))
        return binds
    }

    /// The orders and their events inside the caller's transaction, in one statement.
    private static func insert(_ rows: [NewOrderRows], on connection: PostgresConnection, outbox: PostgresOutboxStore, logger: Logger) async throws {
        // -- the orders, with their events in the same statement
        let insertOrders = PostgresQuery(unsafeSQL: Self.insertOrders, binds: binds(rows))
        try await outbox.enqueue(rows.map(\.event), along: insertOrders, on: connection, logger: logger)
    }

    /// A transaction whose `PizzaShopError`s (refusals decided inside it) reach the caller as they are.
    private func transaction<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        do {
            return try await client.transaction(logger: logger) { connection in try await body(connection) }
        } catch let error as PostgresTransactionError {
            // A refusal is the client's answer, not a database error.
            if let refusal = error.closureError as? PizzaShopError { throw refusal }
            throw error
        }
    }

    public func create(_ new: NewPizzaOrder, headers: [String: String], idempotency: IdempotencyKey) async throws -> CreatedOrder {
        let order = PizzaOrder(id: UUID(), order: new, createdAt: Date.now.roundedToMilliseconds)
        let event = try order.createdEvent(id: UUID(), headers: headers)
        let ttlMilliseconds = idempotency.ttl.wholeMilliseconds
        return try await transaction { connection in
            // -- claim the key (or take over an expired one); a racing request with the same key waits
            // -- here until this transaction ends, then finds the key taken
            let claimed = try await connection.query(
                """
                INSERT INTO idempotency_keys (key, fingerprint, order_id, event_id, created_at)
                VALUES (\(idempotency.key), \(idempotency.fingerprint), \(order.id), \(event.id), now())
                ON CONFLICT (key) DO UPDATE
                    SET fingerprint = excluded.fingerprint, order_id = excluded.order_id,
                        event_id = excluded.event_id, created_at = excluded.created_at
                    WHERE idempotency_keys.created_at < now() - \(ttlMilliseconds) * interval '1 millisecond'
                RETURNING order_id
                """,
                logger: logger
            )
            var isNew = false
            for try await _ in claimed.decode(UUID.self) { isNew = true }
            if !isNew {
                // -- the key is live: the first request's order, if this is the same request
                let rows = try await connection.query(
                    """
                    SELECT k.fingerprint, k.event_id, \(unescaped: Self.orderColumns("o"))
                    FROM idempotency_keys k JOIN pizza_orders o ON o.id = k.order_id
                    WHERE k.key = \(idempotency.key)
                    """,
                    logger: logger
                )
                for try await row in rows {
                    let (fingerprint, eventID) = try row.decode((String, UUID).self)
                    guard fingerprint == idempotency.fingerprint else { throw IdempotencyKey.reused(idempotency.key) }
                    let original = try Self.decodeOrder(row, offset: 2)
                    return CreatedOrder(order: original, eventID: eventID, replayed: true)
                }
                throw PizzaShopError(.internalError, "an idempotency key names a missing order")
            }
            try await Self.insert([NewOrderRows(order: order, event: event)], on: connection, outbox: outbox, logger: logger)
            return CreatedOrder(order: order, eventID: event.id, replayed: false)
        }
    }

    /// Deletes idempotency keys older than `ttl`, in one statement (they are small rows).
    public func purgeIdempotencyKeys(olderThan ttl: Duration) async throws -> Int {
        // -- forget expired keys
        let rows = try await client.queryRows(
            """
            DELETE FROM idempotency_keys WHERE created_at < now() - \(ttl.wholeMilliseconds) * interval '1 millisecond'
            RETURNING key
            """,
            logger: logger
        )
        return rows.count
    }

    public func changeStatus(id: UUID, to status: OrderStatus, headers: [String: String]) async throws -> (order: PizzaOrder, eventID: UUID) {
        try await transaction { connection in
            // -- lock the order: concurrent changes of one order queue here, so their events commit in order
            let rows = try await connection.query(
                """
                SELECT \(unescaped: Self.orderColumns) FROM pizza_orders WHERE id = \(id) FOR UPDATE
                """,
                logger: logger
            )
            guard var order = try await Self.decodeOrders(rows).first else { throw PizzaOrder.notFound(id) }
            guard order.status.canMove(to: status) else { throw OrderStatusChange.conflict(id, from: order.status, to: status) }
            let change = OrderStatusChange(orderID: id, from: order.status, to: status, changedAt: Date.now.roundedToMilliseconds)
            let event = try change.event(id: UUID(), headers: headers)
            // -- the new status, with its event in the same statement
            let update: PostgresQuery = """
                UPDATE pizza_orders SET status = \(status.rawValue), updated_at = \(change.changedAt) WHERE id = \(id)
                """
            try await outbox.enqueue(event, along: update, on: connection, logger: logger)
            order.status = status
            return (order, event.id)
        }
    }

    public func find(id: UUID) async throws -> PizzaOrderView? {
        // -- the order, price back in cents
        let rows = try await client.queryRows(
            """
            SELECT \(unescaped: Self.orderColumns) FROM pizza_orders WHERE id = \(id)
            """,
            logger: logger
        )
        guard let order = try Self.decodeOrders(rows).first else { return nil }
        return PizzaOrderView(order: order, events: try await outbox.events(aggregateID: id.uuidString.lowercased()))
    }

    public func checkReady() async throws {
        try await outbox.ping()
    }

    /// Every order, oldest first (for verification tools and tests).
    public func all() async throws -> [PizzaOrder] {
        // -- all orders with exact prices
        let rows = try await client.queryRows(
            """
            SELECT \(unescaped: Self.orderColumns) FROM pizza_orders ORDER BY created_at, id
            """,
            logger: logger
        )
        return try Self.decodeOrders(rows)
    }

    static let orderColumns = orderColumns(nil)

    /// The order columns, price in cents, optionally qualified by a table alias.
    static func orderColumns(_ alias: String?) -> String {
        ["id", "flavor", "size", "quantity", "(price * 100)::bigint", "address", "user_name", "created_at", "status"]
            .map { column in
                guard let alias else { return column }
                return column.hasPrefix("(") ? "(\(alias).\(column.dropFirst())" : "\(alias).\(column)"
            }
            .joined(separator: ", ")
    }

    static func decodeOrders(_ rows: PostgresRowSequence) async throws -> [PizzaOrder] {
        try decodeOrders(try await rows.collect())
    }

    static func decodeOrders(_ rows: [PostgresRow]) throws -> [PizzaOrder] {
        var orders: [PizzaOrder] = []
        for row in rows { orders.append(try decodeOrder(row, offset: 0)) }
        return orders
    }

    /// One order from the `orderColumns` starting at column `offset` of `row`.
    static func decodeOrder(_ row: PostgresRow, offset: Int) throws -> PizzaOrder {
        let cells = row.makeRandomAccess()
        let new = NewPizzaOrder(
            flavor: try cells[offset + 1].decode(String.self),
            size: try cells[offset + 2].decode(String.self),
            quantity: try cells[offset + 3].decode(Int.self),
            price: Money(cents: try cells[offset + 4].decode(Int64.self)),
            address: try cells[offset + 5].decode(String.self),
            userName: try cells[offset + 6].decode(String.self)
        )
        return PizzaOrder(
            id: try cells[offset].decode(UUID.self),
            order: new,
            createdAt: try cells[offset + 7].decode(Date.self).roundedToMilliseconds,
            status: OrderStatus(rawValue: try cells[offset + 8].decode(String.self)) ?? .received
        )
    }
}
