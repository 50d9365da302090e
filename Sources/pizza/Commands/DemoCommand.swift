import ArgumentParser
import Foundation
import Hummingbird
import Logging
import Outbox
import OutboxPostgres
import OutboxRedis
import PizzaDashboard
import PizzaShop
import PizzaTools
import PostgresNIO
import RESP
import ServiceLifecycle

struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "The whole system in one process: producer API, job, two consumer groups and the client, ending with the delivery ledger."
    )

    @Option(help: "Orders the client sends.") var orders = 100
    @Option(help: "Client requests in flight at once.") var concurrency = 8
    @Option(help: "Share (0...1) of orders the client then moves through status changes (PATCH).") var statusChanges = 0.3
    @Option(help: "Probability (0...1) that simulated payment or delivery fails.") var failureRate = 0.0
    @Option(help: "Simulated payment + delivery time per event, in milliseconds.") var simulateLatencyMs = 0
    @Option(help: "Port of the producer API (0 picks a free one).") var port = 8080
    @Option(
        name: .customLong("database-url"),
        help: "sqlite:PATH, sqlite::memory: or postgres://… (its schema pizza_demo; default sqlite:./pizza-demo.sqlite)."
    )
    var databaseURL = "sqlite:./pizza-demo.sqlite"
    @Option(name: .customLong("redis-url"), help: "Use Redis Pub/Sub at this URL instead of the in-process broker.")
    var redisURL: String?
    @Option(help: "Attempts before an event is parked as failed.") var maxAttempts = 5
    @Option(help: "First retry delay in seconds.") var retryInitial = 0.05
    @Option(help: "Seconds to wait for in-flight events after the client finishes.") var drainTimeout = 60.0
    @Flag(help: "Keep the services up after the client finishes (Ctrl-C stops).") var keepRunning = false
    @Flag(help: "Keep the data of earlier runs (a SQLite demo file is started afresh otherwise).") var keepData = false
    @Flag(help: "Serve the outbox dashboard while the demo runs (with --keep-running it stays up).") var dashboard = false
    @Option(help: "Port of the dashboard (0 picks a free one).") var dashboardPort = 8090
    @Option(
        name: .customLong("admin-token"),
        help: "The dashboard's sign-in token (env ADMIN_TOKEN; default a random one, printed at start)."
    )
    var adminToken: String?
    @OptionGroup var logging: LoggingOptions
    @OptionGroup var telemetry: TelemetryOptions

    static let topic = "pizza-orders"
    static let groups = ["kitchen", "billing"]

    func validate() throws {
        guard orders >= 1 else { throw ValidationError("--orders must be at least 1") }
        guard concurrency >= 1 else { throw ValidationError("--concurrency must be at least 1") }
        guard (0...1).contains(failureRate) else { throw ValidationError("--failure-rate must be within 0...1") }
        guard (0...1).contains(statusChanges) else { throw ValidationError("--status-changes must be within 0...1") }
        guard simulateLatencyMs >= 0 else { throw ValidationError("--simulate-latency-ms must not be negative") }
        guard (0...65535).contains(port) else { throw ValidationError("--port must be within 0...65535") }
        guard (0...65535).contains(dashboardPort) else { throw ValidationError("--dashboard-port must be within 0...65535") }
        guard maxAttempts >= 1 else { throw ValidationError("--max-attempts must be at least 1") }
        guard retryInitial > 0 else { throw ValidationError("--retry-initial must be positive") }
        guard drainTimeout >= 0 else { throw ValidationError("--drain-timeout must not be negative") }
    }

    func run() async throws {
        let observability = try Telemetry.bootstrap(
            program: "demo",
            logging: logging,
            options: telemetry,
            defaultLevel: .warning
        )
        let logger = observability.logger
        if !keepData { try Self.removeSQLiteFiles(databaseURL) }
        let url = try await Self.prepareDemoSchema(databaseURL, fresh: !keepData, logger: logger)
        let database = try await Database.open(url: url, connections: 10, logger: logger)
        let store = try ProducerStore(database)
        // The demo's consumers keep their inbox in the same database as the orders.
        let inbox = ConsumerInbox(database)
        let migrate: @Sendable () async throws -> Void = { try await database.migrate(store.migrations + ConsumerInbox.migrations) }

        let brokerSetup = try makeBroker(logger: logger)
        let received = Dictionary(uniqueKeysWithValues: Self.groups.map { ($0, ReceivedEvents(capacity: 1000)) })
        let ready = WakeUpSignal()
        let consumers: [any Service] = Self.groups.map { group in
            let subscriber = brokerSetup.subscriber(group) {
                received[group]!.isSubscribed = true
                ready.signal()
            }
            let consumer = EventConsumer(
                subscriber: subscriber,
                topic: Self.topic,
                group: group,
                received: received[group]!,
                recorder: inbox.deliveries,
                logger: logger
            )
            return PreparedService(name: "migration", prepare: migrate, service: consumer, logger: logger)
        }
        let relay = Relay(
            store: store.outbox,
            publisher: brokerSetup.publisher,
            wakeUp: store.wakeUp,
            configuration: RelayConfiguration(
                topic: Self.topic,
                source: "pizza-outbox/demo",
                batchSize: 200,
                pollInterval: .seconds(1),
                retryPolicy: RetryPolicy(initialDelay: seconds(retryInitial), maxDelay: seconds(max(1, retryInitial)), maxAttempts: maxAttempts)
            ),
            logger: logger,
            process: OrderProcessing(latency: .milliseconds(simulateLatencyMs), failureRate: failureRate).step
        )
        let serverPort = ServerPort()
        var app = Application(
            router: ProducerAPI(repository: store.repository).router(),
            configuration: .init(address: .hostname("127.0.0.1", port: port), serverName: "pizza-demo"),
            onServerRunning: { channel in
                serverPort.set(channel.localAddress?.port ?? 0)
                ready.signal()
            },
            logger: logger
        )
        app.beforeServerStarts { try await retryUntilDone("migration", logger: logger) { try await migrate() } }

        let runner = DemoRunner(
            demo: self,
            store: store,
            inbox: inbox,
            received: received,
            ready: ready,
            serverPort: serverPort,
            brokerIsAtMostOnce: brokerSetup.publisher.capabilities.isEmpty,
            logger: logger
        )
        let services: [any Service] =
            observability.services + database.services + store.listener + [
                PreparedService(name: "migration", prepare: migrate, service: relay, logger: logger)
            ] + consumers + [app]
        let dashboardServices =
            self.dashboard ? try makeDashboard(store: store, inbox: inbox, monitor: brokerSetup.monitor, migrate: migrate, logger: logger) : []
        let group = ServiceGroup(
            configuration: .init(
                services: (services + dashboardServices).map { .init(service: $0) }
                    + [.init(service: runner, successTerminationBehavior: .gracefullyShutdownGroup)],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            )
        )
        do {
            try await group.run()
        } catch {
            await brokerSetup.close()
            throw error
        }
        await brokerSetup.close()
        if runner.outcome.failed { throw ExitCode(1) }
    }

    /// The in-process broker with one consumer group per name, or Redis Pub/Sub (one subscriber per
    /// group) when `--redis-url` is given.
    private func makeBroker(logger: Logger) throws -> DemoBroker {
        guard let redisURL else {
            let broker = MemoryBroker()
            // Groups exist before the first order, so they receive every event.
            for group in Self.groups { broker.createGroup(group, topic: Self.topic) }
            return DemoBroker(
                publisher: broker,
                subscriber: { group, ready in
                    broker.subscriber(group: group, consumer: "demo", onSubscribed: ready)
                },
                close: {},
                monitor: broker
            )
        }
        let configuration: RedisConfiguration
        do {
            configuration = try RedisConfiguration(url: redisURL)
        } catch {
            throw ValidationError("--redis-url: \(error)")
        }
        let client = RedisClient(configuration: configuration, logger: logger)
        return DemoBroker(
            publisher: RedisPubSubPublisher(client: client),
            subscriber: { _, ready in
                RedisPubSubSubscriber(configuration: configuration, logger: logger, onSubscribed: ready)
            },
            close: { await client.close() },
            monitor: nil
        )
    }

    /// The dashboard over the demo's database and broker: its sampler and its server.
    private func makeDashboard(
        store: ProducerStore,
        inbox: ConsumerInbox,
        monitor: (any TopicMonitor)?,
        migrate: @escaping @Sendable () async throws -> Void,
        logger: Logger
    ) throws -> [any Service] {
        let given = flagOrEnvironment(adminToken, "ADMIN_TOKEN")
        let token = given ?? DashboardSessions.randomToken()
        let sources = DashboardSources(
            store: store.outbox,
            orders: store.repository,
            topic: Self.topic,
            monitor: monitor,
            effects: inbox.deliveries,
            groups: Self.groups
        )
        let sampler = DashboardSampler(sources: sources, logger: logger)
        let app = Application(
            router: Dashboard(sources: sources, sampler: sampler, access: .token(token)).router(),
            configuration: .init(address: .hostname("127.0.0.1", port: dashboardPort), serverName: "pizza-dashboard"),
            onServerRunning: { channel in
                let url = "http://127.0.0.1:\(channel.localAddress?.port ?? 0)/"
                print("dashboard: \(url)  sign in with \(given != nil ? "your admin token" : "the admin token \(token)")")
            },
            logger: logger
        )
        // Sampling starts once the tables exist.
        return [PreparedService(name: "migration", prepare: migrate, service: sampler, logger: logger), app]
    }

    /// On PostgreSQL the demo keeps to its own schema (`pizza_demo` unless the URL names one),
    /// recreated when `fresh`, so it never mixes with — or drops — other data.
    static func prepareDemoSchema(_ url: String, fresh: Bool, logger: Logger) async throws -> String {
        guard !url.hasPrefix("sqlite:") else { return url }
        var parsed: PostgresURL
        do {
            parsed = try PostgresURL(url)
        } catch {
            throw ValidationError("--database-url: \(error.message) (or sqlite:PATH)")
        }
        var demoURL = url
        if parsed.schema == nil {
            demoURL += (url.contains("?") ? "&" : "?") + "schema=pizza_demo"
            parsed = try PostgresURL(demoURL)
        }
        let schema = parsed.schema!.name
        let pool = try PostgresPool(url: parsed, options: .init(maximumConnections: 1), logger: logger)
        do {
            if fresh {
                // -- only the demo's own schema is ever dropped
                try await pool.execute("DROP SCHEMA IF EXISTS \(unescaped: schema) CASCADE", logger: logger)
            }
            try await pool.execute("CREATE SCHEMA IF NOT EXISTS \(unescaped: schema)", logger: logger)
        } catch {
            await pool.close()
            throw error
        }
        await pool.close()
        return demoURL
    }

    /// A fresh demo starts from an empty SQLite file.
    static func removeSQLiteFiles(_ url: String) throws {
        guard url.hasPrefix("sqlite:") else { return }
        let path = String(url.dropFirst("sqlite:".count))
        guard path != ":memory:" else { return }
        for suffix in ["", "-wal", "-shm"] where FileManager.default.fileExists(atPath: path + suffix) {
            try FileManager.default.removeItem(atPath: path + suffix)
        }
    }
}

/// The demo's broker: a publisher and a way to make one subscriber per consumer group.
struct DemoBroker {
    let publisher: any MessagePublisher
    let subscriber: (_ group: String, _ ready: @escaping @Sendable () -> Void) -> any MessageSubscriber
    let close: () async -> Void
    /// The broker's view of the topic, for the dashboard (the in-process broker has one).
    let monitor: (any TopicMonitor)?
}
