import Foundation
import Logging
import Outbox
import ServiceLifecycle

/// The consumer API's background half: subscribes to the topic, logs one line per event and keeps
/// what arrived for the HTTP view. Stops on graceful shutdown.
public struct EventConsumer: Service {
    let subscriber: any MessageSubscriber
    let topic: String
    let received: ReceivedEvents
    let logger: Logger

    public init(subscriber: any MessageSubscriber, topic: String, received: ReceivedEvents, logger: Logger) {
        self.subscriber = subscriber
        self.topic = topic
        self.received = received
        self.logger = logger
    }

    public func run() async throws {
        logger.info("consumer subscribing", metadata: [
            "outbox.topic": "\(topic)", "outbox.broker.capabilities": "\(subscriber.capabilities)",
        ])
        try await cancelWhenGracefulShutdown {
            try await subscriber.subscribe(topic: topic) { message in
                handle(message)
            }
        }
    }

    func handle(_ message: IncomingMessage) {
        received.record(message.body)
        do {
            let envelope = try Envelope.decode(message.body)
            let data = envelope.data
            logger.info("event received", metadata: [
                "outbox.event.id": "\(envelope.id)",
                "outbox.event.type": "\(envelope.type)",
                "order.id": "\(envelope.subject ?? "-")",
                "order.flavor": "\(data["flavor"]?.stringValue ?? "-")",
                "order.size": "\(data["size"]?.stringValue ?? "-")",
                "order.quantity": "\(data["quantity"]?.numberValue.map { String(Int($0)) } ?? "-")",
            ])
        } catch {
            // Kept as received so it can be inspected; it is not a valid envelope.
            logger.warning("message is not a CloudEvents envelope", metadata: [
                "outbox.broker.id": "\(message.brokerID)", "error": "\(error)",
            ])
        }
    }
}
