import ArgumentParser
import Foundation

struct ConsumerAPICommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "consumer-api",
        abstract: "Receive every event, log it, and show what arrived: GET /events, GET /stats."
    )

    @Option(help: "Address to listen on.") var hostname = "0.0.0.0"
    @Option(help: "Port to listen on (env PORT).") var port: Int?
    @OptionGroup var redis: RedisOptions
    @Option(help: "Broker to subscribe to: \(BrokerKind.allCases.map(\.rawValue).joined(separator: ", ")).")
    var broker: BrokerKind = .redisStreams
    @Option(help: "Topic (Redis stream or channel) to subscribe to.") var topic = "pizza-orders"
    @Option(help: "Consumer group (redis-streams): each group receives every event.") var group = "consumer-api"
    @OptionGroup var partitioning: PartitionOptions
    @Option(help: "Consumer name within the group (redis-streams; default host-pid).") var consumer: String?
    @Option(help: "Seconds an unacknowledged entry stays with its consumer before another takes it over.")
    var claimIdle = 30.0
    @Option(
        name: .customLong("database-url"),
        help: "Inbox database (postgres://… or sqlite:PATH; env CONSUMER_DATABASE_URL): apply each event once."
    )
    var databaseURL: String?
    @Option(help: "With an inbox: how long an event waits in place for its order's previous event before the broker redelivers it.")
    var orderWait = TimeSpan(argument: "5s")!
    @Option(
        help:
            "With an inbox: apply an event without its order's previous event once seen for this long (e.g. the group was created after that event)."
    )
    var orderGapTimeout = TimeSpan(argument: "5m")!
    @Option(help: "With an inbox: longest one inbox transaction may take; past it the message is redelivered.")
    var databaseTimeout = TimeSpan(argument: "10s")!
    @Option(help: "Exit (status 75, for the supervisor to restart) when one message's handling exceeds this.")
    var handlerTimeout = TimeSpan(argument: "120s")!
    @Option(help: "Most received events kept for GET /events.") var keep = 100_000
    @OptionGroup var logging: LoggingOptions
    @OptionGroup var telemetry: TelemetryOptions

    func validate() throws {
        if let port, !(0...65535).contains(port) { throw ValidationError("--port must be within 0...65535") }
        guard keep >= 1 else { throw ValidationError("--keep must be at least 1") }
        guard handlerTimeout.duration > .zero else { throw ValidationError("--handler-timeout must be positive") }
        guard claimIdle > 0 else { throw ValidationError("--claim-idle must be positive") }
        guard databaseTimeout.duration > .zero else { throw ValidationError("--database-timeout must be positive") }
        guard databaseTimeout.duration < handlerTimeout.duration else {
            throw ValidationError("--database-timeout must be shorter than --handler-timeout")
        }
        guard !group.isEmpty else { throw ValidationError("--group must not be empty") }
        if broker == .redisPubSub, partitioning.partitions > 1 {
            throw ValidationError("--partitions needs --broker redis-streams")
        }
    }

    func run() async throws {
        let observability = try Telemetry.bootstrap(
            program: "consumer-api",
            logging: logging,
            options: telemetry
        )
        let logger = observability.logger
        var configuration = ConsumerAPIConfiguration(
            hostname: hostname,
            port: try resolvedPort(port, default: 8081),
            redis: try redis.configuration(),
            broker: broker,
            topic: topic,
            group: group,
            claimIdle: seconds(claimIdle),
            partitions: partitioning.partitions,
            inboxURL: flagOrEnvironment(databaseURL, "CONSUMER_DATABASE_URL"),
            ordering: .init(wait: orderWait.duration, gapTimeout: orderGapTimeout.duration),
            handlerTimeout: handlerTimeout.duration,
            keep: keep
        )
        if let consumer { configuration.consumer = consumer }
        configuration.inboxTimeout = databaseTimeout.duration
        let app = try await buildConsumerAPI(configuration, metrics: observability.metrics, logger: logger)
        try await runServices(observability.services + [app], logger: logger)
    }
}
