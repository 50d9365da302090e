import Hummingbird
import Logging
import Outbox
import OutboxRedis
import PizzaShop
import RESP
import ServiceLifecycle

/// The brokers a job publishes to and a consumer subscribes to across processes.
enum BrokerKind: String, CaseIterable, Sendable {
    /// Durable, consumer groups, acknowledgements: at-least-once to every group.
    case redisStreams = "redis-streams"
    /// The seed's behaviour: at-most-once to whoever is subscribed now.
    case redisPubSub = "redis-pubsub"
}

/// Everything the job (the relay) is built from; `pizza job` fills it from flags and environment.
struct JobConfiguration: Sendable {
    var databaseURL: String
    var databaseConnections = 20
    /// Longest one database call may take (claims, marks, retention).
    var databaseTimeout: Duration = .seconds(10)
    var redis: RedisConfiguration
    var broker = BrokerKind.redisStreams
    /// Approximate length a Redis stream is trimmed to (`XADD MAXLEN ~`).
    var streamMaxLength = 1_000_000
    /// Streams the topic is split into (`StreamPartitions`).
    var partitions = 1
    /// Replicas that must confirm a publish (`WAIT`) before the events are marked.
    var replicas = 0
    var replicaTimeout: Duration = .seconds(1)
    var relay: RelayConfiguration
    var processing = OrderProcessing()
    /// How long completed events are kept; zero keeps them forever.
    var retention: Duration = .seconds(24 * 3600)
    var retentionInterval: Duration = .seconds(60)
    var retentionBatchSize = 1_000
    /// Serve `/metrics` and `/healthz` on this port.
    var metricsPort: Int?
    var migrate = true
}

/// The job as it runs, in dependency order: the database pool and the LISTEN connection, the
/// watchdog, the relay (after the migration), the metrics server and retention; and the Redis
/// client to close after the group ends.
struct Job: Sendable {
    let services: [any Service]
    let relay: Relay
    let redis: any RedisCommandRunner
}

/// Builds the job from `configuration`.
func buildJob(_ configuration: JobConfiguration, metrics: ProcessMetrics = .make(), logger: Logger) async throws -> Job {
    let database = try await Database.open(
        url: configuration.databaseURL,
        connections: configuration.databaseConnections,
        statementTimeout: configuration.databaseTimeout,
        metricsFactory: metrics.factory,
        logger: logger
    )
    let store = try ProducerStore(database)
    let publisher: any MessagePublisher
    let redis: any RedisCommandRunner
    switch configuration.broker {
    case .redisStreams:
        redis = configuration.redis.makeClient(logger: logger)
        publisher = RedisStreamsPublisher(
            client: redis,
            maxLength: configuration.streamMaxLength,
            partitions: configuration.partitions,
            replicas: configuration.replicas,
            replicaTimeout: configuration.replicaTimeout
        )
    case .redisPubSub:
        let client = RedisClient(configuration: configuration.redis, logger: logger)
        redis = client
        publisher = RedisPubSubPublisher(client: client)
    }
    let relay = Relay(
        store: store.outbox,
        publisher: publisher,
        wakeUp: store.wakeUp,
        configuration: configuration.relay,
        logger: logger,
        process: configuration.processing.step
    )
    let migrate = configuration.migrate
    // The watchdog comes before the relay so that it is still watching while the relay finishes
    // its last batch during shutdown (services stop in reverse order).
    var services: [any Service] =
        database.services + store.listener + [
            StuckWatchdog(what: "relay", limit: relay.leaseDuration, age: { relay.currentBatchAge }, logger: logger),
            PreparedService(
                name: "migration",
                prepare: { if migrate { try await store.migrate() } },
                service: relay,
                logger: logger
            ),
        ]
    if let port = configuration.metricsPort {
        let router = Router()
        router.get("healthz") { _, _ in "ok" }
        MetricsEndpoint(registry: metrics.registry, refresh: MetricsEndpoint.refreshingOutbox(store.outbox, metrics: metrics.shop))
            .register(on: router)
        services.append(
            Application(router: router, configuration: .init(address: .hostname("0.0.0.0", port: port), serverName: "pizza-job"), logger: logger)
        )
    }
    if configuration.retention > .zero {
        services.append(
            OutboxRetention(
                store: store.outbox,
                retention: configuration.retention,
                interval: configuration.retentionInterval,
                batchSize: configuration.retentionBatchSize,
                logger: logger
            )
        )
    }
    return Job(services: services, relay: relay, redis: redis)
}
