import Hummingbird
import Logging
import Outbox
import OutboxRedis
import PizzaDashboard
import PizzaShop
import RESP
import ServiceLifecycle

/// Everything the dashboard is built from; `pizza dashboard` fills it from flags and environment.
struct DashboardConfiguration: Sendable {
    var hostname = "127.0.0.1"
    var port = 8090
    var databaseURL: String
    /// The consumers' database (effects, latency); nil leaves those panels out.
    var consumerDatabaseURL: String?
    /// Redis, for the topic's groups and publish rate; nil leaves those out.
    var redis: RedisConfiguration?
    var topic = "pizza-orders"
    var partitions = 1
    /// Groups to look effects up in besides those Redis reports.
    var groups: [String] = []
    var access: DashboardAccess
    var sampleInterval: Duration = .seconds(1)
}

/// The dashboard as it runs: its router, the sampler and the database pools as one application.
/// It reads only (and requeues failed events when allowed); it never migrates.
func buildDashboard(
    _ configuration: DashboardConfiguration,
    logger: Logger,
    onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
) async throws -> some ApplicationProtocol {
    // A few connections are plenty: one sample a second plus the pages people open.
    let database = try await Database.open(url: configuration.databaseURL, connections: 4, logger: logger)
    let store = try ProducerStore(database)
    let consumer: ConsumerInbox? =
        if let url = configuration.consumerDatabaseURL {
            ConsumerInbox(try await Database.open(url: url, connections: 2, flag: "--consumer-database-url", logger: logger))
        } else {
            nil
        }
    let monitor = configuration.redis.map { RedisStreamsMonitor(client: $0.makeClient(logger: logger), partitions: configuration.partitions) }
    let sources = DashboardSources(
        store: store.outbox,
        orders: store.repository,
        topic: configuration.topic,
        monitor: monitor,
        effects: consumer?.deliveries,
        groups: configuration.groups
    )
    let sampler = DashboardSampler(sources: sources, interval: configuration.sampleInterval, logger: logger)
    let dashboard = Dashboard(sources: sources, sampler: sampler, access: configuration.access)
    var app = Application(
        router: dashboard.router(),
        configuration: .init(address: .hostname(configuration.hostname, port: configuration.port), serverName: "pizza-dashboard"),
        onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? 0) },
        logger: logger
    )
    app.addServices(database.services)
    if let consumer { app.addServices(consumer.database.services) }
    app.addServices(sampler)
    return app
}
