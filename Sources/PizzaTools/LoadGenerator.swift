import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import Outbox
import PizzaShop
import Synchronization

/// The pizza client: sends random orders to `POST /pizza` with bounded concurrency and an optional
/// rate, reporting progress while it runs.
public struct LoadGenerator: Sendable {
    public struct Configuration: Sendable {
        public var baseURL: String
        public var orders: Int
        public var concurrency: Int
        /// Orders per second across all workers; nil sends as fast as answers come.
        public var rate: Double?
        /// Share (0…1) of accepted orders that are then walked through status changes (`PATCH`).
        public var statusChanges: Double
        public var requestTimeout: Duration
        /// Called once per order request with what came back (for ledgers of acknowledged orders).
        public var onAnswer: (@Sendable (Answer) -> Void)?

        public init(
            baseURL: String,
            orders: Int,
            concurrency: Int,
            rate: Double? = nil,
            statusChanges: Double = 0,
            requestTimeout: Duration = .seconds(30)
        ) {
            self.baseURL = baseURL
            self.orders = orders
            self.concurrency = concurrency
            self.rate = rate
            self.statusChanges = statusChanges
            self.requestTimeout = requestTimeout
        }
    }

    /// One order request and its answer.
    public struct Answer: Sendable {
        /// When the request was sent and answered, wall clock.
        public var sent: Date
        public var answered: Date
        /// The HTTP status; 0 when no answer came (connection refused, timeout).
        public var status: Int
        /// The order's id, from a 2xx body.
        public var orderID: String?
    }

    public let configuration: Configuration
    let logger: Logger

    public init(configuration: Configuration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
    }

    private struct Counters {
        var next = 0
        var accepted = 0
        var rejected = 0
        var failed = 0
        var done = 0
        var latencies: [Duration] = []
        var changes = LoadReport.StatusChanges()
    }

    /// Shared by the workers and the progress ticker.
    private final class Tally: Sendable {
        let counters = Mutex(Counters())
        let start = ContinuousClock.now

        func report() -> LoadReport {
            let c = counters.withLock { $0 }
            return LoadReport(
                sent: c.done,
                accepted: c.accepted,
                rejected: c.rejected,
                failed: c.failed,
                elapsed: ContinuousClock.now - start,
                latencies: c.latencies,
                statusChanges: c.changes
            )
        }
    }

    /// Sends every order and returns the report. `progress` is called about every `progressInterval`
    /// with (done, total) while requests are in flight.
    public func run(
        progressInterval: Duration = .seconds(1),
        progress: @escaping @Sendable (_ done: Int, _ total: Int, _ report: LoadReport) -> Void = { _, _, _ in }
    ) async throws -> LoadReport {
        var clientConfiguration = HTTPClient.Configuration()
        clientConfiguration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = configuration.concurrency
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: clientConfiguration)
        let tally = Tally()
        let url = configuration.baseURL.hasSuffix("/") ? configuration.baseURL + "pizza" : configuration.baseURL + "/pizza"
        let total = configuration.orders
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    // Progress ticks until cancelled once the workers are done.
                    while !Task.isCancelled {
                        try await Task.sleep(for: progressInterval)
                        let report = tally.report()
                        progress(report.sent, total, report)
                    }
                }
                try await withThrowingTaskGroup(of: Void.self) { workers in
                    for _ in 0..<max(1, configuration.concurrency) {
                        workers.addTask {
                            try await worker(client: client, url: url, tally: tally)
                        }
                    }
                    try await workers.waitForAll()
                }
                group.cancelAll()
                _ = try? await group.waitForAll()
            }
        } catch {
            try? await client.shutdown()
            throw error
        }
        try await client.shutdown()
        return tally.report()
    }

    private func worker(
        client: HTTPClient,
        url: String,
        tally: Tally
    ) async throws {
        let generator = OrderGenerator()
        let encoder = PizzaJSON.encoder()
        while true {
            let index = tally.counters.withLock { counters -> Int? in
                guard counters.next < configuration.orders else { return nil }
                defer { counters.next += 1 }
                return counters.next
            }
            guard let index else { return }
            if let rate = configuration.rate, rate > 0 {
                // Order i leaves at start + i / rate, whichever worker sends it.
                try await Task.sleep(until: tally.start + .seconds(Double(index) / rate))
            }
            var request = HTTPClientRequest(url: url)
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: try encoder.encode(generator.next())))
            let sent = ContinuousClock.now
            let sentAt = Date()
            let (status, body) = await send(request, client: client)
            let elapsed = ContinuousClock.now - sent
            configuration.onAnswer?(
                Answer(sent: sentAt, answered: Date(), status: status, orderID: (200..<300).contains(status) ? Self.orderID(in: body) : nil)
            )
            tally.counters.withLock { counters in
                counters.done += 1
                if status != 0 { counters.latencies.append(elapsed) }
                switch status {
                case 200..<300: counters.accepted += 1
                case 400..<500: counters.rejected += 1
                default: counters.failed += 1
                }
            }
            if (200..<300).contains(status), configuration.statusChanges > 0,
                Double.random(in: 0..<1) < configuration.statusChanges,
                let id = Self.orderID(in: body)
            {
                try await changeStatus(of: id, url: url, client: client, tally: tally)
            }
        }
    }

    /// Walks one order along a random kitchen path, one `PATCH` at a time.
    private func changeStatus(of id: String, url: String, client: HTTPClient, tally: Tally) async throws {
        let paths: [[OrderStatus]] = [
            [.baking, .outForDelivery, .delivered], [.baking, .outForDelivery], [.baking, .cancelled], [.cancelled],
        ]
        for next in paths.randomElement()! {
            var request = HTTPClientRequest(url: url + "/" + id)
            request.method = .PATCH
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: #"{"status":"\#(next.rawValue)"}"#))
            let (status, _) = await send(request, client: client)
            tally.counters.withLock { counters in
                switch status {
                case 200..<300: counters.changes.accepted += 1
                case 400..<500: counters.changes.rejected += 1
                default: counters.changes.failed += 1
                }
            }
            guard (200..<300).contains(status) else { return }
        }
    }

    /// The status code (0 when no answer came) and the body.
    private func send(_ request: HTTPClientRequest, client: HTTPClient) async -> (Int, ByteBuffer?) {
        do {
            let response = try await client.execute(request, timeout: .nanoseconds(Int64(configuration.requestTimeout.seconds * 1e9)))
            let body = try await response.body.collect(upTo: 1 << 20)
            return (Int(response.status.code), body)
        } catch {
            logger.debug("request failed", metadata: ["error": "\(error)"])
            return (0, nil)
        }
    }

    private struct Created: Decodable { var id: String }

    static func orderID(in body: ByteBuffer?) -> String? {
        guard let body else { return nil }
        return try? JSONDecoder().decode(Created.self, from: Data(body.readableBytesView)).id
    }
}
