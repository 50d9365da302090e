import ArgumentParser

struct ProducerAPICommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "producer-api",
        abstract: "Accept orders: POST /pizza stores the order and its event in one transaction."
    )

    @Option(help: "Address to listen on.") var hostname = "0.0.0.0"
    @Option(help: "Port to listen on (env PORT).") var port: Int?
    @Flag(help: "Do not apply pending migrations at start.") var noMigrate = false
    @Option(help: "How long an Idempotency-Key is remembered (e.g. 24h).") var idempotencyTtl = TimeSpan(argument: "24h")!
    @Option(help: "Bearer token that opens /admin/outbox (env ADMIN_TOKEN); without one those routes answer 404.")
    var adminToken: String?
    @Option(help: "Most new orders one PostgreSQL transaction takes: concurrent orders share a commit (1: one transaction per order).")
    var groupCommitSize = 64
    @Option(help: "Transactions of new orders in flight at once; orders arriving meanwhile wait and share the next one.")
    var groupCommitSlots = 2
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var logging: LoggingOptions
    @OptionGroup var telemetry: TelemetryOptions

    func validate() throws {
        guard groupCommitSize >= 1 else { throw ValidationError("--group-commit-size must be at least 1") }
        guard groupCommitSlots >= 1 else { throw ValidationError("--group-commit-slots must be at least 1") }
        guard idempotencyTtl.duration > .zero else { throw ValidationError("--idempotency-ttl must be positive") }
        if let port, !(0...65535).contains(port) { throw ValidationError("--port must be within 0...65535") }
    }

    func run() async throws {
        let observability = try Telemetry.bootstrap(
            program: "producer-api",
            logging: logging,
            options: telemetry
        )
        let logger = observability.logger
        let configuration = ProducerAPIConfiguration(
            hostname: hostname,
            port: try resolvedPort(port, default: 8080),
            databaseURL: try database.url(),
            databaseConnections: database.databaseConnections,
            migrate: !noMigrate,
            databaseTimeout: database.databaseTimeout.duration,
            idempotencyTTL: idempotencyTtl.duration,
            adminToken: flagOrEnvironment(adminToken, "ADMIN_TOKEN"),
            groupCommit: .init(maxOrders: groupCommitSize, concurrentTransactions: groupCommitSlots)
        )
        let app = try await buildProducerAPI(configuration, metrics: observability.metrics, logger: logger)
        try await runServices(observability.services + [app], logger: logger)
    }
}

/// `--port`, else `PORT`, else the default; a bad `PORT` names the variable.
func resolvedPort(_ flag: Int?, default fallback: Int) throws -> Int {
    if let flag { return flag }
    guard let text = flagOrEnvironment(nil, "PORT") else { return fallback }
    guard let port = Int(text), (0...65535).contains(port) else { throw ValidationError("PORT must be within 0...65535") }
    return port
}
