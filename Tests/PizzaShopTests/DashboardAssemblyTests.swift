import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import PizzaDashboard
import TestSupport
import Testing

@testable import pizza

/// `pizza dashboard` as the command assembles it: its flags, and the application on PostgreSQL.
@Suite(.timeLimit(.minutes(2))) struct DashboardAssemblyTests {
    @Test func withoutATokenTheCommandRefusesUnlessReadOnlyAndInsecure() throws {
        let refusals: [([String], String)] = [
            (["--database-url", "sqlite::memory:"], "--admin-token"),
            (["--database-url", "sqlite::memory:", "--insecure-no-auth"], "--read-only"),
            (["--database-url", "sqlite::memory:", "--read-only"], "--admin-token"),
            (["--database-url", "sqlite::memory:", "--admin-token", "t", "--read-only", "--insecure-no-auth"], "--insecure-no-auth"),
            (["--database-url", "sqlite::memory:", "--admin-token", "t", "--port", "70000"], "--port"),
        ]
        for (arguments, flag) in refusals {
            #expect(
                "\(arguments)",
                performing: { _ = try DashboardCommand.parse(arguments) },
                throws: { error in
                    DashboardCommand.message(for: error).contains(flag)
                }
            )
        }
        let readOnly = try DashboardCommand.parse(["--read-only", "--insecure-no-auth"])
        #expect(try readOnly.access().adminToken == nil && readOnly.access().readOnly)
        let signedIn = try DashboardCommand.parse(["--admin-token", "t"])
        #expect(try signedIn.access().adminToken == "t" && !signedIn.access().readOnly)
    }

    @Test(.enabled(if: TestServers.postgresEnabled)) func theDashboardOnPostgreSQL() async throws {
        try await TestSchema.with("dashboard") { schema, _ in
            // The producer API's and the consumers' migrations, as `pizza migrate --inbox` applies them.
            let database = try await Database.open(url: schema.url, connections: 2, logger: Logger(label: "test"))
            try await database.with {
                try await database.migrate(try ProducerStore(database).migrations + ConsumerInbox.migrations)
            }
            let app = try await buildDashboard(
                DashboardConfiguration(
                    port: 0,
                    databaseURL: schema.url,
                    consumerDatabaseURL: schema.url,
                    redis: nil,
                    access: .token("secret"),
                    sampleInterval: .milliseconds(50)
                ),
                logger: Logger(label: "test")
            )
            try await app.test(.live) { client in
                let signIn = try await client.execute(
                    uri: "/login",
                    method: .post,
                    headers: [.contentType: "application/x-www-form-urlencoded"],
                    body: ByteBuffer(string: "token=secret")
                )
                let cookie = String(try #require(signIn.headers[.setCookie]).split(separator: ";")[0])
                // The sampler runs as the application's service: its samples appear.
                var overview = ""
                let deadline = ContinuousClock.now + .seconds(10)
                while !overview.contains(#""pending":0"#), ContinuousClock.now < deadline {
                    overview = String(buffer: try await client.execute(uri: "/api/overview", method: .get, headers: [.cookie: cookie]).body)
                }
                #expect(overview.contains(#""pending":0"#) && overview.contains(#""has_consumer_database":true"#))
                #expect(overview.contains(#""errors":[]"#))
                let events = try await client.execute(uri: "/api/events", method: .get, headers: [.cookie: cookie])
                #expect(events.status == .ok && String(buffer: events.body).contains(#""events":[]"#))
            }
        }
    }
}
