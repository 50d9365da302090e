import ArgumentParser
import Foundation
import NIOCore
import NIOPosix

/// Starts `pizza` with Swift concurrency running on SwiftNIO's event loops: the HTTP server, the
/// PostgreSQL and Redis connections and the tasks then share two threads instead of handing every
/// request between two pools (fewer thread switches per request; measured by scripts/bench).
@main
enum PizzaMain {
    static func main() async {
        if ProcessInfo.processInfo.environment["PIZZA_NIO_EXECUTOR"] != "0" {
            NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
        }
        await Pizza.main()
    }
}

/// The pizza shop's programs, one subcommand each.
struct Pizza: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pizza",
        abstract: "The transactional outbox, shown on a pizza shop.",
        subcommands: [
            DemoCommand.self, VerifyCommand.self, MigrateCommand.self, ProducerAPICommand.self, JobCommand.self,
            ConsumerAPICommand.self, ClientCommand.self, OutboxCommand.self, DashboardCommand.self,
        ]
    )
}
