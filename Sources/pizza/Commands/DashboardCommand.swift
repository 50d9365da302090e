import ArgumentParser
import Foundation
import PizzaDashboard

struct DashboardCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dashboard",
        abstract: "Serve the outbox dashboard: live throughput, backlog, groups and latency; events, orders and failed events.",
        discussion: """
            Signing in takes the admin token (--admin-token or ADMIN_TOKEN). The page shows customer names and
            addresses: without a token the command refuses to start unless --read-only --insecure-no-auth is given.
            Apply migrations first (`pizza migrate`, or start producer-api and consumer-api once).
            """
    )

    @Option(help: "Address to listen on (default loopback only).") var hostname = "127.0.0.1"
    @Option(help: "Port to listen on (env PORT).") var port: Int?
    @OptionGroup var database: DatabaseOptions
    @Option(
        name: .customLong("consumer-database-url"),
        help: "The consumers' inbox database (env CONSUMER_DATABASE_URL): where events took effect, commit → effect latency."
    )
    var consumerDatabaseURL: String?
    @OptionGroup var redis: RedisOptions
    @Flag(help: "Do not read Redis (no consumer groups or publish rate on the page).") var noRedis = false
    @Option(help: "Topic the relay publishes to.") var topic = "pizza-orders"
    @OptionGroup var partitioning: PartitionOptions
    @Option(name: .customLong("group"), help: "A consumer group to look effects up in (repeat; Redis's groups are added).")
    var groups: [String] = []
    @Option(name: .customLong("admin-token"), help: "The token that signs in (env ADMIN_TOKEN).") var adminToken: String?
    @Flag(help: "Offer no actions (no retry).") var readOnly = false
    @Flag(help: "With --read-only and no token: no sign-in; anyone reaching the port sees customer data.")
    var insecureNoAuth = false
    @Flag(help: "Mark the session cookie Secure (when served over HTTPS by a proxy).") var secureCookie = false
    @OptionGroup var logging: LoggingOptions

    func validate() throws {
        if let port, !(0...65535).contains(port) { throw ValidationError("--port must be within 0...65535") }
        _ = try access()
    }

    /// Who may sign in and what they may do; the error names the flags.
    func access() throws -> DashboardAccess {
        let token = flagOrEnvironment(adminToken, "ADMIN_TOKEN")
        if insecureNoAuth {
            guard token == nil else { throw ValidationError("--insecure-no-auth cannot be combined with --admin-token (or ADMIN_TOKEN)") }
            guard readOnly else { throw ValidationError("--insecure-no-auth needs --read-only: without sign-in, no actions") }
            return .insecureReadOnly
        }
        guard let token else {
            throw ValidationError(
                "--admin-token (or ADMIN_TOKEN) is required: the dashboard shows customer data; for a read-only page without sign-in pass --read-only --insecure-no-auth"
            )
        }
        return .token(token, readOnly: readOnly, secureCookie: secureCookie)
    }

    func run() async throws {
        let logger = logging.bootstrap(label: "pizza.dashboard")
        let configuration = DashboardConfiguration(
            hostname: hostname,
            port: try resolvedPort(port, default: 8090),
            databaseURL: try database.url(),
            consumerDatabaseURL: flagOrEnvironment(consumerDatabaseURL, "CONSUMER_DATABASE_URL"),
            redis: noRedis ? nil : try redis.configuration(),
            topic: topic,
            partitions: partitioning.partitions,
            groups: groups,
            access: try access()
        )
        let app = try await buildDashboard(configuration, logger: logger) { port in
            logger.info("dashboard listening", metadata: ["url": "http://\(configuration.hostname):\(port)/"])
        }
        try await runServices([app], logger: logger)
    }
}
