import ArgumentParser
import Logging
import Outbox
import PizzaShop
import Synchronization

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

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
    @OptionGroup var partitioning: PartitionOptions
    @Option(
        help:
            "Replicas that must have an event (WAIT after each publish, per master) before it is marked completed; the rest are published again. 0 does not wait."
    )
    var redisReplicas = 0
    @Option(help: "Longest WAIT for --redis-replicas, e.g. 500ms, 2s.") var redisReplicaTimeout = TimeSpan(argument: "1s")!
    @Option(help: "Most events claimed per batch.") var batchSize = 500
    @Option(help: "Seconds between polls when no NOTIFY arrives.") var pollInterval = 1.0
    @Option(help: "Batches in flight at once: the next batch is claimed while one is published.") var concurrentBatches = 2
    @Option(
        help:
            "How long a job woken by a commit waits before it claims, so that the commits right behind share the batch (e.g. 1ms; 0 claims at once)."
    )
    var linger = TimeSpan(argument: "0ms")!
    @Option(
        help:
            "How long a job that published a batch waits for the next commit, whose claim then marks the batch in the same statement (past it, the batch is marked alone; 0 marks at once)."
    )
    var markDelay = TimeSpan(argument: "50ms")!
    @Option(help: "Seconds a claim keeps other jobs away from its events.") var leaseSeconds = 60.0
    @Option(help: "Simulated payment + delivery time per event, in milliseconds.") var simulateLatencyMs = 0
    @Option(help: "Probability (0...1) that the simulated step fails.") var failureRate = 0.0
    @Option(help: "The simulated payment always declines this user's orders (a poison event, for drills).")
    var simulateDeclineUser: String?
    @Option(help: "Attempts before an event is parked as failed.") var maxAttempts = 10
    @Option(help: "First retry delay in seconds; doubles per attempt.") var retryInitial = 0.5
    @Option(help: "Longest retry delay in seconds.") var retryMax = 300.0
    @Option(help: "How long completed events are kept (e.g. 24h, 30m, 90s); 0 keeps them forever.")
    var retention = TimeSpan(argument: "24h")!
    @Option(help: "Time between two retention rounds.") var retentionInterval = TimeSpan(argument: "60s")!
    @Option(help: "Most completed events deleted per retention transaction.") var retentionBatchSize = 1_000
    @Option(help: "Serve GET /metrics (Prometheus) and /healthz on this port; none by default.") var metricsPort: Int?
    @Option(help: .hidden) var drillCrashAfterPublish: Int?
    @Flag(help: "Do not apply pending migrations at start.") var noMigrate = false
    @OptionGroup var logging: LoggingOptions
    @OptionGroup var telemetry: TelemetryOptions

    func validate() throws {
        guard batchSize >= 1 else { throw ValidationError("--batch-size must be at least 1") }
        guard concurrentBatches >= 1 else { throw ValidationError("--concurrent-batches must be at least 1") }
        guard streamMaxLength >= 1 else { throw ValidationError("--stream-max-length must be at least 1") }
        guard redisReplicas >= 0 else { throw ValidationError("--redis-replicas must not be negative") }
        guard redisReplicaTimeout.duration > .zero, redisReplicaTimeout.duration < seconds(leaseSeconds) else {
            throw ValidationError("--redis-replica-timeout must be positive and shorter than --lease-seconds")
        }
        if broker == .redisPubSub, partitioning.partitions > 1 || redisReplicas > 0 {
            throw ValidationError("\(partitioning.partitions > 1 ? "--partitions" : "--redis-replicas") needs --broker redis-streams")
        }
        guard pollInterval > 0 else { throw ValidationError("--poll-interval must be positive") }
        guard linger.duration < seconds(pollInterval) else { throw ValidationError("--linger must be shorter than --poll-interval") }
        guard leaseSeconds > 0 else { throw ValidationError("--lease-seconds must be positive") }
        // The events stay leased until they are marked: the mark must come well within the lease.
        guard markDelay.duration * 2 < seconds(leaseSeconds) else { throw ValidationError("--mark-delay must be under half of --lease-seconds") }
        // A call outliving the lease could act on events another job has claimed since.
        guard database.databaseTimeout.duration < seconds(leaseSeconds) else {
            throw ValidationError("--database-timeout must be shorter than --lease-seconds")
        }
        guard simulateLatencyMs >= 0 else { throw ValidationError("--simulate-latency-ms must not be negative") }
        guard (0...1).contains(failureRate) else { throw ValidationError("--failure-rate must be within 0...1") }
        guard maxAttempts >= 1 else { throw ValidationError("--max-attempts must be at least 1") }
        if let metricsPort, !(0...65535).contains(metricsPort) { throw ValidationError("--metrics-port must be within 0...65535") }
        guard retentionBatchSize >= 1 else { throw ValidationError("--retention-batch-size must be at least 1") }
        guard retentionInterval.duration > .zero else { throw ValidationError("--retention-interval must be positive") }
        if let drillCrashAfterPublish, drillCrashAfterPublish < 1 {
            throw ValidationError("--drill-crash-after-publish must be at least 1")
        }
        guard retryInitial > 0, retryMax >= retryInitial else {
            throw ValidationError("--retry-initial must be positive and not above --retry-max")
        }
    }

    func run() async throws {
        let observability = try Telemetry.bootstrap(program: "job", logging: logging, options: telemetry)
        let logger = observability.logger
        var relay = RelayConfiguration(
            topic: topic,
            source: "pizza-outbox/job",
            batchSize: batchSize,
            pollInterval: seconds(pollInterval),
            leaseDuration: seconds(leaseSeconds),
            retryPolicy: RetryPolicy(initialDelay: seconds(retryInitial), maxDelay: seconds(retryMax), maxAttempts: maxAttempts),
            concurrentBatches: concurrentBatches,
            linger: linger.duration,
            markDelay: markDelay.duration
        )
        if let drillCrashAfterPublish {
            relay.afterPublish = DrillCrashPoint(afterBatches: drillCrashAfterPublish, logger: logger).hook
        }
        let configuration = JobConfiguration(
            databaseURL: try database.url(),
            databaseConnections: database.databaseConnections,
            databaseTimeout: database.databaseTimeout.duration,
            redis: try redis.configuration(),
            broker: broker,
            streamMaxLength: streamMaxLength,
            partitions: partitioning.partitions,
            replicas: redisReplicas,
            replicaTimeout: redisReplicaTimeout.duration,
            relay: relay,
            processing: OrderProcessing(latency: .milliseconds(simulateLatencyMs), failureRate: failureRate, declinedUser: simulateDeclineUser),
            retention: retention.duration,
            retentionInterval: retentionInterval.duration,
            retentionBatchSize: retentionBatchSize,
            metricsPort: metricsPort,
            migrate: !noMigrate
        )
        let job = try await buildJob(configuration, metrics: observability.metrics, logger: logger)
        do {
            try await runServices(observability.services + job.services, logger: logger)
        } catch {
            await job.redis.close()
            throw error
        }
        await job.redis.close()
    }
}

/// The fault drills' crash point: after the n-th published batch, before it is marked, the process
/// kills itself with SIGKILL — no cleanup, exactly like a machine losing power.
struct DrillCrashPoint: Sendable {
    let afterBatches: Int
    let logger: Logger
    private let count = Counter()

    init(afterBatches: Int, logger: Logger) {
        self.afterBatches = afterBatches
        self.logger = logger
    }

    final class Counter: Sendable {
        let value = Mutex(0)
    }

    var hook: @Sendable ([OutboxEvent]) async -> Void {
        { [count, afterBatches, logger] published in
            let n = count.value.withLock { value in
                value += 1
                return value
            }
            guard n >= afterBatches else { return }
            logger.warning("drill: crashing between publish and mark", metadata: ["outbox.batch.published": "\(published.count)"])
            kill(getpid(), SIGKILL)
        }
    }
}
