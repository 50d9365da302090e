import Foundation
import Logging
import Outbox
import OutboxPostgres
import OutboxSQLite
import PizzaShop
import PostgresNIO
import ServiceLifecycle

/// The store a `--database-url` names: PostgreSQL (`postgres://…`) or SQLite (`sqlite:PATH`,
/// `sqlite::memory:`), with everything the programs need from it.
struct Backend {
    let repository: any PizzaOrderRepository & ProducerLedgerSource
    let outbox: any OutboxStore
    let deliveries: any DeliveryRecorder
    /// Wakes in-process relays on commit (both kinds); PostgreSQL also gets NOTIFY via `services`.
    let wakeUp: WakeUpSignal
    /// The connection pool, to run before anything that queries (PostgreSQL only).
    let pool: [any Service]
    /// LISTEN for commits of other processes, feeding `wakeUp` (PostgreSQL only; relays need it).
    let listener: [any Service]
    let migrate: @Sendable () async throws -> Void
    let close: @Sendable () async -> Void

    /// `sqlite:` URLs name a file (or `:memory:`); anything else must be a PostgreSQL URL.
    static func open(
        url: String, connections: Int, groupCommit: PostgresPizzaOrderRepository.GroupCommitOptions = .init(), logger: Logger
    ) async throws -> Backend {
        if url.hasPrefix("sqlite:") {
            let path = String(url.dropFirst("sqlite:".count))
            guard !path.isEmpty else { throw BackendError("sqlite: URL needs a path, e.g. sqlite:./pizza.sqlite or sqlite::memory:") }
            let storage = try await SQLiteStorage.open(path: path, logger: logger)
            let wakeUp = WakeUpSignal()
            let outbox = try SQLiteOutboxStore(storage: storage, wakeUp: wakeUp)
            let repository = SQLitePizzaOrderRepository(outbox: outbox)
            let migrations = repository.migrations + SQLiteDeliveryRecorder.migrations
            return Backend(
                repository: repository, outbox: outbox, deliveries: SQLiteDeliveryRecorder(storage: storage), wakeUp: wakeUp,
                pool: [], listener: [],
                migrate: { try await storage.migrate(migrations) },
                close: { await storage.close() }
            )
        }
        let parsed: PostgresURL
        do {
            parsed = try PostgresURL(url)
        } catch {
            throw BackendError("--database-url: \(error.message) (or sqlite:PATH)")
        }
        let setup = try PostgresSetup(url: parsed, connections: connections, groupCommit: groupCommit, logger: logger)
        let wakeUp = WakeUpSignal()
        let migrations = setup.repository.migrations + PostgresDeliveryRecorder.migrations
        return Backend(
            repository: setup.repository, outbox: setup.outbox,
            deliveries: PostgresDeliveryRecorder(client: setup.client, logger: logger), wakeUp: wakeUp,
            pool: [setup.client],
            listener: [PostgresWakeUpListener(url: parsed, channel: setup.outbox.channel, signal: wakeUp, logger: logger)],
            migrate: {
                if let schema = parsed.schema {
                    // -- a schema named in the URL is created on first use
                    try await setup.client.query("CREATE SCHEMA IF NOT EXISTS \(unescaped: schema.name)", logger: logger)
                }
                try await PostgresMigrator(migrations).migrate(client: setup.client, logger: logger)
            },
            close: {}
        )
    }
}

struct BackendError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
