import ArgumentParser
import Logging
import Outbox
import OutboxPostgres
import OutboxRedis
import PizzaShop
import RESP

struct JobCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "job",
        abstract: "The relay: claim pending events, simulate payment and delivery, publish, mark completed."
    )

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var redis: RedisOptions
    @Option(help: "Broker to publish to: \(BrokerKind.allCases.map(\.rawValue).joined(separator: ", ")).")
    var broker: BrokerKind = .redisStreams
    @Option(help: "Topic (Redis stream or channel) to publish to.") var topic = "pizza-orders"
    @Option(help: "Approximate length a Redis stream is trimmed to (XADD MAXLEN ~).") var streamMaxLength = 1_000_000
    @Option(help: "Most events claimed per batch.") var batchSize = 500
    @Option(help: "Seconds between polls when no NOTIFY arrives.") var pollInterval = 1.0
    @Option(help: "Seconds a claim keeps other jobs away from its events.") var leaseSeconds = 60.0
    @Option(help: "Simulated payment + delivery time per event, in milliseconds.") var simulateLatencyMs = 0
    @Option(help: "Probability (0...1) that the simulated step fails.") var failureRate = 0.0
    @Option(help: "Attempts before an event is parked as failed.") var maxAttempts = 10
    @Option(help: "First retry delay in seconds; doubles per attempt.") var retryInitial = 0.5
    @Option(help: "Longest retry delay in seconds.") var retryMax = 300.0
    @Flag(help: "Do not apply pending migrations at start.") var noMigrate = false
    @OptionGroup var logging: LoggingOptions

    func validate() throws {
        guard batchSize >= 1 else { throw ValidationError("--batch-size must be at least 1") }
        guard streamMaxLength >= 1 else { throw ValidationError("--stream-max-length must be at least 1") }
        guard pollInterval > 0 else { throw ValidationError("--poll-interval must be positive") }
        guard leaseSeconds > 0 else { throw ValidationError("--lease-seconds must be positive") }
        guard simulateLatencyMs >= 0 else { throw ValidationError("--simulate-latency-ms must not be negative") }
        guard (0...1).contains(failureRate) else { throw ValidationError("--failure-rate must be within 0...1") }
        guard maxAttempts >= 1 else { throw ValidationError("--max-attempts must be at least 1") }
        guard retryInitial > 0, retryMax >= retryInitial else {
            throw ValidationError("--retry-initial must be positive and not above --retry-max")
        }
    }

    func run() async throws {
        let logger = logging.bootstrap(label: "pizza.job")
        let backend = try await database.open(logger: logger)
        let redisClient = RedisClient(configuration: try redis.configuration(), logger: logger)
        let publisher: any MessagePublisher = switch broker {
        case .redisStreams: RedisStreamsPublisher(client: redisClient, maxLength: streamMaxLength)
        case .redisPubSub: RedisPubSubPublisher(client: redisClient)
        }
        let relay = Relay(
            store: backend.outbox,
            publisher: publisher,
            wakeUp: backend.wakeUp,
            configuration: RelayConfiguration(
                topic: topic,
                source: "pizza-outbox/job",
                batchSize: batchSize,
                pollInterval: seconds(pollInterval),
                leaseDuration: seconds(leaseSeconds),
                retryPolicy: RetryPolicy(
                    initialDelay: seconds(retryInitial), maxDelay: seconds(retryMax), maxAttempts: maxAttempts
                )
            ),
            logger: logger,
            process: OrderProcessing(latency: .milliseconds(simulateLatencyMs), failureRate: failureRate).step
        )
        let migrate = noMigrate
        try await runServices(backend.pool + backend.listener + [
            PreparedService(name: "migration", prepare: {
                if !migrate { try await backend.migrate() }
            }, service: relay, logger: logger),
        ], closing: backend, logger: logger)
        await redisClient.close()
    }
}
