import Hummingbird
import Logging
import Outbox
import PizzaShop
import PizzaShopPostgres
import ServiceLifecycle

/// Everything the producer API is built from; `pizza producer-api` fills it from flags and environment.
struct ProducerAPIConfiguration: Sendable {
    var hostname = "0.0.0.0"
    var port = 8080
    var databaseURL: String
    var databaseConnections = 20
    /// Apply pending migrations before the server starts.
    var migrate = true
    /// Longest a request waits for the database before answering 503.
    var databaseTimeout: Duration = .seconds(10)
    var idempotencyTTL: Duration = .seconds(24 * 3600)
    /// Opens `/admin/outbox…`; nil leaves those routes out.
    var adminToken: String?
    var groupCommit = PostgresPizzaOrderRepository.GroupCommitOptions()
}

/// The producer API as it runs: the HTTP server with the database pool, the idempotency janitor and
/// the migration before the server starts, as one Hummingbird application.
func buildProducerAPI(
    _ configuration: ProducerAPIConfiguration,
    metrics: ProcessMetrics = .make(),
    logger: Logger,
    onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
) async throws -> some ApplicationProtocol {
    let database = try await Database.open(
        url: configuration.databaseURL,
        connections: configuration.databaseConnections,
        statementTimeout: configuration.databaseTimeout,
        metricsFactory: metrics.factory,
        logger: logger
    )
    let store = try ProducerStore(database, groupCommit: configuration.groupCommit)
    let admin = configuration.adminToken.map { AdminAPI(store: store.outbox, token: $0) }
    let endpoint = MetricsEndpoint(registry: metrics.registry, refresh: MetricsEndpoint.refreshingOutbox(store.outbox, metrics: metrics.shop))
    let router = ProducerAPI(
        repository: store.repository,
        admin: admin,
        databaseTimeout: configuration.databaseTimeout,
        idempotencyTTL: configuration.idempotencyTTL,
        metrics: metrics.shop,
        metricsEndpoint: endpoint
    ).router()
    var app = Application(
        router: router,
        configuration: .init(address: .hostname(configuration.hostname, port: configuration.port), serverName: "pizza-producer-api"),
        onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? 0) },
        logger: logger
    )
    app.addServices(database.services)
    app.addServices(IdempotencyKeyJanitor(repository: store.repository, ttl: configuration.idempotencyTTL, logger: logger))
    if configuration.migrate {
        app.beforeServerStarts {
            try await retryUntilDone("migration", logger: logger) { try await store.migrate() }
        }
    }
    return app
}
