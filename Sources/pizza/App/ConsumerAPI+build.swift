import Foundation
import Hummingbird
import Logging
import Outbox
import OutboxRedis
import PizzaShop
import RESP
import ServiceLifecycle

/// Everything the consumer API is built from; `pizza consumer-api` fills it from flags and environment.
struct ConsumerAPIConfiguration: Sendable {
    var hostname = "0.0.0.0"
    var port = 8081
    var redis: RedisConfiguration
    var broker = BrokerKind.redisStreams
    var topic = "pizza-orders"
    var group = "consumer-api"
    /// The member's name within the group; unique per process.
    var consumer = "\(ProcessInfo.processInfo.hostName)-\(ProcessInfo.processInfo.processIdentifier)"
    var claimIdle: Duration = .seconds(30)
    /// Streams the topic is split into; the members of the group share them, one reader each.
    var partitions = 1
    /// The inbox database: with one, each event takes effect once per group.
    var inboxURL: String?
    var inboxConnections = 10
    /// Longest one inbox transaction may take.
    var inboxTimeout: Duration = .seconds(10)
    var ordering = EventConsumer.Ordering()
    /// Exit (for the supervisor to restart) when one message's handling exceeds this.
    var handlerTimeout: Duration = .seconds(120)
    /// Most received events kept for `GET /events`.
    var keep = 100_000
}

/// The consumer API as it runs: the subscriber and its inbox (with the migration and the watchdog)
/// as services of the Hummingbird application that serves `GET /events` and `GET /stats`.
func buildConsumerAPI(
    _ configuration: ConsumerAPIConfiguration,
    metrics: ProcessMetrics = .make(),
    logger: Logger
) async throws -> some ApplicationProtocol {
    let received = ReceivedEvents(capacity: configuration.keep)
    let ready: @Sendable () async -> Void = { received.isSubscribed = true }
    let subscriber: any MessageSubscriber =
        switch configuration.broker {
        case .redisStreams:
            RedisStreamsSubscriber(
                redis: configuration.redis,
                configuration: .init(
                    group: configuration.group,
                    consumer: configuration.consumer,
                    claimIdle: configuration.claimIdle,
                    partitions: configuration.partitions
                ),
                logger: logger,
                onSubscribed: ready
            )
        case .redisPubSub:
            RedisPubSubSubscriber(configuration: configuration.redis, logger: logger, onSubscribed: ready)
        }
    let inbox: ConsumerInbox? =
        if let url = configuration.inboxURL {
            ConsumerInbox(
                try await Database.open(
                    url: url,
                    connections: configuration.inboxConnections,
                    statementTimeout: configuration.inboxTimeout,
                    metricsFactory: metrics.factory,
                    logger: logger
                )
            )
        } else {
            nil
        }
    let consumer = EventConsumer(
        subscriber: subscriber,
        topic: configuration.topic,
        group: configuration.group,
        received: received,
        recorder: inbox?.deliveries,
        ordering: configuration.ordering,
        metrics: metrics.shop,
        logger: logger
    )
    var app = Application(
        router: ConsumerAPI(received: received, metrics: MetricsEndpoint(registry: metrics.registry)).router(),
        configuration: .init(address: .hostname(configuration.hostname, port: configuration.port), serverName: "pizza-consumer-api"),
        logger: logger
    )
    if let inbox {
        app.addServices(inbox.database.services)
        app.addServices(
            StuckWatchdog(what: "consumer", limit: configuration.handlerTimeout, age: { consumer.currentHandlerAge }, logger: logger),
            PreparedService(name: "migration", prepare: inbox.migrate, service: consumer, logger: logger)
        )
    } else {
        app.addServices(consumer)
    }
    return app
}
