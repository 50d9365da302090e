import Foundation
import Logging
import Outbox
import PizzaShop
import PizzaTools
import ServiceLifecycle
import Synchronization

/// The port the API really listens on (the demo may ask for port 0).
final class ServerPort: Sendable {
    private let value = Mutex<Int?>(nil)
    func set(_ port: Int) { value.withLock { $0 = port } }
    var port: Int? { value.withLock { $0 } }
}

/// Drives the demo: waits until the API listens and every group is subscribed, runs the client,
/// waits for in-flight events, prints the ledger, then ends the demo (or keeps it up).
final class DemoRunner: Service, Sendable {
    struct Outcome {
        var failed = false
    }

    let demo: DemoCommand
    let store: ProducerStore
    let inbox: ConsumerInbox
    let received: [String: ReceivedEvents]
    let ready: WakeUpSignal
    let serverPort: ServerPort
    let brokerIsAtMostOnce: Bool
    let logger: Logger
    private let state = Mutex(Outcome())

    init(
        demo: DemoCommand,
        store: ProducerStore,
        inbox: ConsumerInbox,
        received: [String: ReceivedEvents],
        ready: WakeUpSignal,
        serverPort: ServerPort,
        brokerIsAtMostOnce: Bool,
        logger: Logger
    ) {
        self.demo = demo
        self.store = store
        self.inbox = inbox
        self.received = received
        self.ready = ready
        self.serverPort = serverPort
        self.brokerIsAtMostOnce = brokerIsAtMostOnce
        self.logger = logger
    }

    var outcome: Outcome { state.withLock { $0 } }

    func run() async throws {
        try await cancelWhenGracefulShutdown { try await self.drive() }
        if demo.keepRunning && !Task.isShuttingDownGracefully {
            print("\nservices keep running (--keep-running); press Ctrl-C to stop")
            try? await gracefulShutdown()
        }
    }

    private func drive() async throws {
        // Each start-up step signals `ready`; re-check the whole condition after every wake-up.
        while serverPort.port == nil || !received.values.allSatisfy(\.isSubscribed) {
            await ready.wait()
        }
        let url = "http://127.0.0.1:\(serverPort.port!)"
        print(
            """
            Pizza Outbox demo
              store:    \(demo.databaseURL)
              broker:   \(demo.redisURL.map { "Redis Pub/Sub at \($0)" } ?? "in-process, consumer groups \(DemoCommand.groups.joined(separator: ", "))")
              API:      \(url)   (try: curl \(url)/pizza/<id> while it runs)
              job:      simulated latency \(demo.simulateLatencyMs) ms, failure rate \(demo.failureRate), max attempts \(demo.maxAttempts)
            sending \(demo.orders) orders with \(demo.concurrency) in flight, \(Int(demo.statusChanges * 100))% of them with status changes…
            """
        )
        let interactive = isatty(STDOUT_FILENO) == 1
        let generator = LoadGenerator(
            configuration: .init(baseURL: url, orders: demo.orders, concurrency: demo.concurrency, statusChanges: demo.statusChanges),
            logger: logger
        )
        let report = try await generator.run(progressInterval: interactive ? .milliseconds(200) : .seconds(1)) { done, total, report in
            self.progress("\(done)/\(total) orders sent (\(report.accepted) accepted)", interactive: interactive)
        }
        if interactive { print("") }
        print(report.summary)

        let deadline = ContinuousClock.now + .seconds(demo.drainTimeout)
        var ledger = try await readLedger()
        // Polling is the point here: the ledger is read from the tables, as `pizza verify` does.
        var shown: Int?
        while !isSettled(ledger), ContinuousClock.now < deadline, !Task.isCancelled {
            if interactive || shown != ledger.inFlight {
                progress("waiting for in-flight events: \(ledger.inFlight) pending", interactive: interactive)
                shown = ledger.inFlight
            }
            try await Task.sleep(for: .milliseconds(100))
            ledger = try await readLedger()
        }
        if interactive { print("") }
        print(ledger.table)
        if brokerIsAtMostOnce {
            print("note: Redis Pub/Sub is at-most-once; an event published while a subscriber is away is lost by design.")
        }
        state.withLock { $0.failed = !ledger.isHealthy || report.failed > 0 }
    }

    private func readLedger() async throws -> DeliveryLedger {
        try await DeliveryLedger.read(producer: store.repository, consumer: inbox.deliveries, expectedGroups: DemoCommand.groups)
    }

    /// Nothing in flight and every group has every published event.
    private func isSettled(_ ledger: DeliveryLedger) -> Bool {
        ledger.inFlight == 0 && ledger.groups.allSatisfy { $0.delivered >= ledger.completed }
    }

    private func progress(_ text: String, interactive: Bool) {
        let groups = DemoCommand.groups.map { "\($0) \(received[$0]?.stats.received ?? 0)" }.joined(separator: ", ")
        let line = "\(text); delivered: \(groups)"
        if interactive {
            FileHandle.standardOutput.write(Data("\r\u{1B}[K\(line)".utf8))
        } else {
            print(line)
        }
    }
}
