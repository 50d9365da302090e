import Foundation
import Hummingbird
import Logging

/// Runs the to-do API and its relay until SIGTERM or SIGINT. Configuration comes from the
/// environment: `DATABASE_URL` (required), `REDIS_URL`, `PORT`.
@main
struct App {
    static func main() async throws {
        let environment = ProcessInfo.processInfo.environment
        guard let databaseURL = environment["DATABASE_URL"] else {
            FileHandle.standardError.write(Data("DATABASE_URL is required, e.g. postgres://user:password@localhost:5432/todo\n".utf8))
            exit(64)
        }
        let configuration = TodoConfiguration(
            databaseURL: databaseURL,
            redisURL: environment["REDIS_URL"] ?? "redis://localhost:6379",
            port: environment["PORT"].flatMap(Int.init) ?? 8080
        )
        let app = try buildApplication(configuration, logger: Logger(label: "todo-outbox"))
        try await app.runService()
    }
}
