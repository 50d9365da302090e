import Foundation
import Logging
import MetricsTestKit
import Outbox
import OutboxPostgres
import PostgresNIO
import TestSupport
import Testing

@Suite(.enabled(if: TestServers.postgresEnabled), .timeLimit(.minutes(2)))
struct PostgresPoolTests {
    let logger = Logger(label: "test")

    func makePool(_ url: String, connections: Int = 2, timeout: Duration = .seconds(10), metrics: TestMetrics = TestMetrics()) throws -> PostgresPool
    {
        try PostgresPool(
            url: try PostgresURL(url),
            options: .init(maximumConnections: connections, statementTimeout: timeout),
            logger: logger,
            metricsFactory: metrics
        )
    }

    func backendPID(_ pool: PostgresPool) async throws -> Int32 {
        try await pool.queryRows("SELECT pg_backend_pid()", logger: logger)[0].decode(Int32.self)
    }

    @Test func aCallPastItsDeadlineFailsAtOnceAndItsConnectionIsNotReused() async throws {
        let metrics = TestMetrics()
        let pool = try makePool(try TestServers.requireDatabaseURL(), connections: 1, timeout: .seconds(3), metrics: metrics)
        let before = try await backendPID(pool)
        let started = ContinuousClock.now
        await #expect {
            try await pool.execute("SELECT pg_sleep(30)", logger: logger)
        } throws: { error in
            (error as? OutboxError)?.code == .deadlineExceeded
        }
        // At the deadline, not when the 30 s sleep ends (with room for a busy machine).
        #expect(ContinuousClock.now - started < .seconds(10))
        #expect(metrics.counterTotal(label: "outbox_postgres_statement_deadlines_total") == 1)
        // The only connection was the one abandoned: the pool opened a fresh one.
        let after = try await backendPID(pool)
        #expect(after != before)
        await pool.close()
    }

    @Test func aTerminatedConnectionIsReplaced() async throws {
        let url = try TestServers.requireDatabaseURL()
        let pool = try makePool(url, connections: 1)
        let admin = try makePool(url, connections: 1)
        let victim = try await backendPID(pool)
        try await admin.execute("SELECT pg_terminate_backend(\(victim))", logger: logger)
        // The next call may still meet the dead connection (then it says so) — the one after must not.
        var replaced: Int32?
        for _ in 0..<3 {
            do {
                replaced = try await backendPID(pool)
                break
            } catch let error as OutboxError where error.code == .unavailable {
                continue
            }
        }
        #expect(replaced != nil && replaced != victim)
        await pool.close()
        await admin.close()
    }

    @Test func callsWaitForAConnectionWithinTheirDeadline() async throws {
        let pool = try makePool(try TestServers.requireDatabaseURL(), connections: 1, timeout: .seconds(6))
        // One slow call holds the only connection; the other waits for it, within its own deadline.
        async let slow: Void = pool.execute("SELECT pg_sleep(1)", logger: logger)
        try await Task.sleep(for: .milliseconds(100))
        let second = try await backendPID(pool)
        try await slow
        #expect(second > 0)
        await pool.close()
    }

    @Test func aClosedPoolRefusesCalls() async throws {
        let pool = try makePool(try TestServers.requireDatabaseURL())
        _ = try await backendPID(pool)
        await pool.close()
        await #expect {
            try await backendPID(pool)
        } throws: { error in
            (error as? OutboxError)?.code == .unavailable
        }
    }

    @Test func noHostAcceptingConnectionsNamesEachHost() async throws {
        let pool = try makePool("postgres://pizza@127.0.0.1:1,127.0.0.1:2/pizza?connect_timeout=1&sslmode=disable")
        await #expect {
            try await backendPID(pool)
        } throws: { error in
            guard let error = error as? OutboxError else { return false }
            return error.code == .unavailable && error.message.contains("127.0.0.1:1") && error.message.contains("127.0.0.1:2")
        }
        await pool.close()
    }
}

/// The pg_auto_failover formation of `scripts/services start-ha`: a primary and a synchronous
/// standby, their certificates signed by a test authority. Serialized: one test switches over.
@Suite(.enabled(if: TestServers.haEnabled), .serialized, .timeLimit(.minutes(3)))
struct PostgresHATests {
    let logger = Logger(label: "test")

    /// The HA URL with its hosts in `order` and other parameters replaced.
    func url(hostsReversed: Bool = false, parameters: String) throws -> String {
        let (base, _, _) = try TestServers.requireHA()
        let parsed = try PostgresURL(base)
        let endpoints = hostsReversed ? parsed.endpoints.reversed() : parsed.endpoints
        let password = parsed.password.map { ":" + ($0.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? $0) } ?? ""
        return
            "postgres://\(parsed.username)\(password)@\(endpoints.map(\.description).joined(separator: ","))/\(parsed.database ?? "")?\(parameters)"
    }

    func withPool<T: Sendable>(_ url: String, metrics: TestMetrics = TestMetrics(), _ body: (PostgresPool) async throws -> T) async throws -> T {
        let pool = try PostgresPool(
            url: try PostgresURL(url),
            options: .init(maximumConnections: 2, statementTimeout: .seconds(15)),
            logger: logger,
            metricsFactory: metrics
        )
        do {
            let result = try await body(pool)
            await pool.close()
            return result
        } catch {
            await pool.close()
            throw error
        }
    }

    /// (port, in recovery, encrypted) of the server a call lands on.
    func whereAmI(_ pool: PostgresPool) async throws -> (Int, Bool, Bool) {
        let row = try await pool.queryRows(
            "SELECT inet_server_port(), pg_is_in_recovery(), coalesce((SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()), false)",
            logger: logger
        )[0]
        return try row.decode((Int, Bool, Bool).self)
    }

    @Test func readWriteFindsThePrimaryWhicheverHostComesFirst() async throws {
        for reversed in [false, true] {
            let (_, inRecovery, encrypted) = try await withPool(try url(hostsReversed: reversed, parameters: "sslmode=require")) {
                try await whereAmI($0)
            }
            #expect(!inRecovery)
            #expect(encrypted)
        }
    }

    @Test func anyStaysOnTheFirstHostEvenAStandby() async throws {
        let ports = try await [false, true].asyncMap { reversed in
            try await withPool(try url(hostsReversed: reversed, parameters: "sslmode=require&target_session_attrs=any")) { try await whereAmI($0) }
        }
        // One order starts with the primary, the other with the standby: `any` takes each first host.
        #expect(Set(ports.map(\.1)) == [false, true])
    }

    @Test func verifyFullAcceptsTheNodesCertificateForItsName() async throws {
        let (_, ca, _) = try TestServers.requireHA()
        let base = try PostgresURL(try url(parameters: "sslmode=disable"))
        let password = base.password.map { ":" + $0 } ?? ""
        let ports = base.endpoints.map(\.port).map(String.init)
        let named =
            "postgres://\(base.username)\(password)@localhost:\(ports[0]),localhost:\(ports[1])/\(base.database ?? "")?sslmode=verify-full&sslrootcert=\(ca)"
        let (_, _, encrypted) = try await withPool(named) { try await whereAmI($0) }
        #expect(encrypted)
    }

    @Test func verifyCAChecksTheAuthority() async throws {
        let (_, ca, other) = try TestServers.requireHA()
        let (_, _, encrypted) = try await withPool(try url(parameters: "sslmode=verify-ca&sslrootcert=\(ca)")) { try await whereAmI($0) }
        #expect(encrypted)
        await #expect {
            try await withPool(try url(parameters: "sslmode=verify-ca&sslrootcert=\(other)&connect_timeout=2")) { try await whereAmI($0) }
        } throws: { error in
            (error as? OutboxError)?.code == .unavailable
        }
    }

    @Test func disableConnectsInTheClear() async throws {
        let (_, _, encrypted) = try await withPool(try url(parameters: "sslmode=disable")) { try await whereAmI($0) }
        #expect(!encrypted)
    }

    @Test func aSwitchoverIsFollowedWithoutARestart() async throws {
        let metrics = TestMetrics()
        try await withPool(try url(parameters: "sslmode=require"), metrics: metrics) { pool in
            try await pool.execute("CREATE TABLE IF NOT EXISTS ha_test_writes (n integer)", logger: logger)
            let (before, _, _) = try await whereAmI(pool)
            try await runServicesScript("failover")
            // Writes fail while the roles change, then land on the new primary, with no new pool.
            var after: Int?
            let deadline = ContinuousClock.now + .seconds(60)
            while after == nil, ContinuousClock.now < deadline {
                do {
                    try await pool.execute("INSERT INTO ha_test_writes VALUES (1)", logger: logger)
                    let (port, inRecovery, _) = try await whereAmI(pool)
                    if !inRecovery, port != before { after = port }
                } catch let error as OutboxError where error.code == .unavailable || error.code == .deadlineExceeded {
                    try await Task.sleep(for: .milliseconds(100))
                }
            }
            #expect(after != nil)
            #expect(metrics.counterTotal(label: "outbox_postgres_failovers_total") >= 1)
        }
    }

    /// Runs `scripts/services ARGUMENT` of this checkout.
    func runServicesScript(_ argument: String) async throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = [root.appendingPathComponent("scripts/services").path, argument]
        let status = try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Int32, any Error>) in
            process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
            do { try process.run() } catch { continuation.resume(throwing: error) }
        }
        #expect(status == 0)
    }
}

extension Sequence {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var result: [T] = []
        for element in self { result.append(try await transform(element)) }
        return result
    }
}
