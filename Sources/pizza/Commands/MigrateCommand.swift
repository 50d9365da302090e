import ArgumentParser

struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Create or upgrade the schema (numbered migrations, each applied once)."
    )

    @OptionGroup var database: DatabaseOptions
    @Flag(help: "Also create the consumers' inbox tables (for a database that producer and consumers share).")
    var inbox = false
    @OptionGroup var logging: LoggingOptions

    func run() async throws {
        let logger = logging.bootstrap(label: "pizza.migrate")
        let opened = try await database.open(logger: logger)
        let migrations = try ProducerStore(opened).migrations + (inbox ? ConsumerInbox.migrations : Migrations())
        try await opened.with { try await opened.migrate(migrations) }
        logger.info("schema is up to date")
    }
}
