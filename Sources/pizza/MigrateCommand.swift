import ArgumentParser

struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Create or upgrade the schema (numbered migrations, each applied once)."
    )

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var logging: LoggingOptions

    func run() async throws {
        let logger = logging.bootstrap(label: "pizza.migrate")
        let backend = try await database.open(logger: logger)
        try await withBackend(backend) { try await backend.migrate() }
        logger.info("schema is up to date")
    }
}
