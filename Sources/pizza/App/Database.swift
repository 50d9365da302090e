import Foundation
import Logging
import Metrics
import Outbox
import OutboxPostgres
import OutboxSQLite
import PizzaShop
import PizzaShopPostgres
import PizzaShopSQLite
import PostgresNIO
import ServiceLifecycle

/// The database a `--database-url` names, opened once: a PostgreSQL pool (`postgres://…`) or a
/// SQLite file (`sqlite:PATH`, `sqlite::memory:`). The producer's store and the consumer's inbox are
/// built from it separately, so each database gets only the tables of the side that uses it.
struct Database: Sendable {
    enum Kind: Sendable {
        case postgres(PostgresPool, PostgresURL)
        case sqlite(SQLiteStorage)
    }

    let kind: Kind
    let logger: Logger

    /// `sqlite:` URLs name a file (or `:memory:`); anything else must be a PostgreSQL URL (one host or
    /// several, as libpq reads them). Every use of a PostgreSQL connection has `statementTimeout`.
    /// Errors name the flag in `flag`.
    static func open(
        url: String,
        connections: Int,
        statementTimeout: Duration = .seconds(10),
        flag: String = "--database-url",
        metricsFactory: any MetricsFactory = MetricsSystem.factory,
        logger: Logger
    ) async throws -> Database {
        if url.hasPrefix("sqlite:") {
            let path = String(url.dropFirst("sqlite:".count))
            guard !path.isEmpty else {
                throw CommandFailure("\(flag): a sqlite: URL needs a path, e.g. sqlite:./pizza.sqlite or sqlite::memory:")
            }
            return Database(kind: .sqlite(try await SQLiteStorage.open(path: path, logger: logger)), logger: logger)
        }
        let parsed: PostgresURL
        do {
            parsed = try PostgresURL(url)
        } catch {
            throw CommandFailure("\(flag): \(error.message) (or sqlite:PATH)")
        }
        // Every pizza process reads the outbox (claims, admin lists, stats): all use the relay settings.
        let pool: PostgresPool
        do {
            pool = try PostgresPool(
                url: parsed,
                options: .init(maximumConnections: connections, statementTimeout: statementTimeout, settings: PostgresOutboxStore.relaySettings),
                logger: logger,
                metricsFactory: metricsFactory
            )
        } catch {
            throw CommandFailure("\(flag): \(error.message)")
        }
        return Database(kind: .postgres(pool, parsed), logger: logger)
    }

    /// What must run while the database is used: the PostgreSQL pool, and for SQLite a service that
    /// closes the file when the group stops (list it first, so that it stops last).
    var services: [any Service] {
        switch kind {
        case .postgres(let client, _): [client]
        case .sqlite(let storage): [CloseOnShutdown { await storage.close() }]
        }
    }

    /// Applies `migrations`, creating the schema a PostgreSQL URL names first.
    func migrate(_ migrations: Migrations) async throws {
        switch kind {
        case .postgres(let client, let url):
            if let schema = url.schema {
                // -- a schema named in the URL is created on first use
                try await client.execute("CREATE SCHEMA IF NOT EXISTS \(unescaped: schema.name)", logger: logger)
            }
            try await PostgresMigrator(migrations.postgres).migrate(client: client, logger: logger)
        case .sqlite(let storage):
            try await storage.migrate(migrations.sqlite)
        }
    }

    /// Closes the SQLite file or the PostgreSQL pool's connections.
    func close() async {
        switch kind {
        case .postgres(let pool, _): await pool.close()
        case .sqlite(let storage): await storage.close()
        }
    }

    /// Runs `body` for one-shot commands; closes the database afterwards, whether `body` succeeded or not.
    func with<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        do {
            let result = try await body()
            await close()
            return result
        } catch {
            await close()
            throw error
        }
    }
}

/// One set of migrations for each kind of database.
struct Migrations: Sendable {
    var postgres: [SchemaMigration] = []
    var sqlite: [SchemaMigration] = []

    static func + (lhs: Migrations, rhs: Migrations) -> Migrations {
        Migrations(postgres: lhs.postgres + rhs.postgres, sqlite: lhs.sqlite + rhs.sqlite)
    }
}

/// The producer's side of a database: orders, the outbox, and the relay's wake-up.
struct ProducerStore: Sendable {
    let database: Database
    let repository: any PizzaOrderRepository & ProducerLedgerSource
    let outbox: any OutboxStore
    /// Wakes in-process relays on commit; on PostgreSQL `listener` feeds it from NOTIFY too.
    let wakeUp: WakeUpSignal
    /// LISTEN for commits of other processes (PostgreSQL only; relays need it).
    let listener: [any Service]
    let migrations: Migrations

    init(_ database: Database, groupCommit: PostgresPizzaOrderRepository.GroupCommitOptions = .init()) throws {
        self.database = database
        let wakeUp = WakeUpSignal()
        self.wakeUp = wakeUp
        switch database.kind {
        case .postgres(let client, let url):
            let outbox = try PostgresOutboxStore(client: client, logger: database.logger)
            let repository = PostgresPizzaOrderRepository(client: client, outbox: outbox, logger: database.logger, groupCommit: groupCommit)
            self.outbox = outbox
            self.repository = repository
            self.listener = [try PostgresWakeUpListener(url: url, channel: outbox.channel, signal: wakeUp, logger: database.logger)]
            self.migrations = Migrations(postgres: repository.migrations)
        case .sqlite(let storage):
            let outbox = try SQLiteOutboxStore(storage: storage, wakeUp: wakeUp)
            let repository = SQLitePizzaOrderRepository(outbox: outbox)
            self.outbox = outbox
            self.repository = repository
            self.listener = []
            self.migrations = Migrations(sqlite: repository.migrations)
        }
    }

    func migrate() async throws { try await database.migrate(migrations) }
}

/// The consumer's side of a database: the inbox and the deliveries it records, nothing else.
struct ConsumerInbox: Sendable {
    let database: Database
    let deliveries: any DeliveryRecorder & EffectReader

    init(_ database: Database) {
        self.database = database
        switch database.kind {
        case .postgres(let client, _): deliveries = PostgresDeliveryRecorder(client: client, logger: database.logger)
        case .sqlite(let storage): deliveries = SQLiteDeliveryRecorder(storage: storage)
        }
    }

    static let migrations = Migrations(postgres: PostgresDeliveryRecorder.migrations, sqlite: SQLiteDeliveryRecorder.migrations)

    func migrate() async throws { try await database.migrate(Self.migrations) }
}

/// Waits for the group's graceful shutdown, then runs `close`.
struct CloseOnShutdown: Service {
    let close: @Sendable () async -> Void

    func run() async throws {
        try? await gracefulShutdown()
        await close()
    }
}
