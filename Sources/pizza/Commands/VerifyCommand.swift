import ArgumentParser
import Foundation
import Logging
import PizzaShop
import PizzaTools

struct VerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Print the delivery ledger; exit 1 when anything is lost, applied twice or out of order."
    )

    @Option(
        name: .customLong("database-url"),
        help: "Producer side: postgres://… or sqlite:PATH (env DATABASE_URL, default sqlite:./pizza-demo.sqlite)."
    )
    var databaseURL: String?
    @Option(name: .customLong("consumer-database-url"), help: "Consumer side (inbox and deliveries); default: the producer's database.")
    var consumerDatabaseURL: String?
    @Option(help: "Seconds to wait for pending events to drain before reporting.") var wait = 0.0
    // The ledger reads whole tables: at 600,000 orders on a busy machine one read took over 10 s.
    @Option(help: "Longest one read of the ledger may take (e.g. 2m, 30s).") var databaseTimeout = TimeSpan(argument: "120s")!
    @Option(name: .customLong("group"), help: "A consumer group that must have received everything (repeatable).")
    var groups: [String] = []
    @OptionGroup var logging: LoggingOptions

    func validate() throws {
        guard wait >= 0 else { throw ValidationError("--wait must not be negative") }
        guard databaseTimeout.duration > .zero else { throw ValidationError("--database-timeout must be positive") }
    }

    func run() async throws {
        let logger = logging.bootstrap(label: "pizza.verify", defaultLevel: .warning)
        let producerURL = flagOrEnvironment(databaseURL, "DATABASE_URL") ?? "sqlite:./pizza-demo.sqlite"
        let consumerURL = consumerDatabaseURL ?? producerURL
        let producerDatabase = try await Database.open(
            url: producerURL,
            connections: 4,
            statementTimeout: databaseTimeout.duration,
            logger: logger
        )
        let producer = try ProducerStore(producerDatabase)
        let read: @Sendable (ConsumerInbox) async throws -> DeliveryLedger = { consumer in
            let deadline = ContinuousClock.now + .milliseconds(Int64(wait * 1000))
            var ledger = try await DeliveryLedger.read(producer: producer.repository, consumer: consumer.deliveries, expectedGroups: groups)
            // Pending events are in flight, not lost: with --wait, give them time to land. Events
            // blocked behind a parked event will not move until someone retries it.
            while ledger.inFlight > 0 || !ledger.isHealthy, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(250))
                ledger = try await DeliveryLedger.read(producer: producer.repository, consumer: consumer.deliveries, expectedGroups: groups)
            }
            return ledger
        }
        let ledger: DeliveryLedger
        do {
            if consumerURL == producerURL {
                ledger = try await producerDatabase.with { try await read(ConsumerInbox(producerDatabase)) }
            } else {
                let consumerDatabase = try await Database.open(
                    url: consumerURL,
                    connections: 4,
                    statementTimeout: databaseTimeout.duration,
                    flag: "--consumer-database-url",
                    logger: logger
                )
                ledger = try await producerDatabase.with {
                    try await consumerDatabase.with { try await read(ConsumerInbox(consumerDatabase)) }
                }
            }
        } catch {
            // The driver's own text (never the URL, which may hold a password), and the usual cause.
            throw CommandFailure(
                """
                cannot read the delivery ledger: \(String(reflecting: error))
                Do both databases have the pizza schema (pizza migrate, or a consumer-api with --database-url)?
                """
            )
        }
        print(ledger.table)
        if !ledger.isHealthy { throw ExitCode(1) }
    }
}
