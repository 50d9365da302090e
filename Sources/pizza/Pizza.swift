import ArgumentParser

/// The pizza shop's programs, one subcommand each.
@main
struct Pizza: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pizza",
        abstract: "The transactional outbox, shown on a pizza shop.",
        subcommands: [
            DemoCommand.self, VerifyCommand.self, MigrateCommand.self, ProducerAPICommand.self, JobCommand.self,
            ConsumerAPICommand.self, ClientCommand.self, OutboxCommand.self,
        ]
    )
}
