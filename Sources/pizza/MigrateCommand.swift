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
        let setup = try PostgresSetup(url: try database.url(), connections: 2, logger: logger)
        // The client only serves queries while its run() is going.
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await setup.client.run() }
            defer { group.cancelAll() }
            try await setup.migrate(logger: logger)
        }
    }
}
