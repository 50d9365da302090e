import ArgumentParser
import Hummingbird
import Outbox
import OutboxRedis
import PizzaShop

struct ConsumerAPICommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "consumer-api",
        abstract: "Receive every event, log it, and show what arrived: GET /events, GET /stats."
    )

    @Option(help: "Address to listen on.") var hostname = "0.0.0.0"
    @Option(help: "Port to listen on (env PORT).") var port: Int?
    @OptionGroup var redis: RedisOptions
    @Option(help: "Broker to subscribe to: \(BrokerKind.allCases.map(\.rawValue).joined(separator: ", ")).")
    var broker: BrokerKind = .redisPubSub
    @Option(help: "Topic (Redis channel) to subscribe to.") var topic = "pizza-orders"
    @Option(help: "Most received events kept for GET /events.") var keep = 100_000
    @OptionGroup var logging: LoggingOptions

    func validate() throws {
        if let port, !(0...65535).contains(port) { throw ValidationError("--port must be within 0...65535") }
        guard keep >= 1 else { throw ValidationError("--keep must be at least 1") }
    }

    func run() async throws {
        let logger = logging.bootstrap(label: "pizza.consumer-api")
        let port = try resolvedPort(port, default: 8081)
        let received = ReceivedEvents(capacity: keep)
        let subscriber: any MessageSubscriber = switch broker {
        case .redisPubSub:
            RedisPubSubSubscriber(configuration: try redis.configuration(), logger: logger) {
                received.isSubscribed = true
            }
        }
        let consumer = EventConsumer(subscriber: subscriber, topic: topic, received: received, logger: logger)
        let app = Application(
            router: ConsumerAPI(received: received).router(),
            configuration: .init(address: .hostname(hostname, port: port), serverName: "pizza-consumer-api"),
            logger: logger
        )
        try await runServices([consumer, app], logger: logger)
    }
}
