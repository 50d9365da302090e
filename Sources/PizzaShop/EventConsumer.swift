import Foundation
import Logging
import Outbox
import ServiceLifecycle

/// The consumer API's background half: subscribes to the topic, applies each event once through
/// the inbox (when a recorder is given), logs one line per event and keeps what arrived for the
/// HTTP view. A failed effect throws, so brokers with acknowledgements deliver the event again.
/// Stops on graceful shutdown.
public struct EventConsumer: Service {
    let subscriber: any MessageSubscriber
    let topic: String
    let group: String
    let received: ReceivedEvents
    let recorder: (any DeliveryRecorder)?
    let logger: Logger

    public init(
        subscriber: any MessageSubscriber, topic: String, group: String = "consumer-api",
        received: ReceivedEvents, recorder: (any DeliveryRecorder)? = nil, logger: Logger
    ) {
        self.subscriber = subscriber
        self.topic = topic
        self.group = group
        self.received = received
        self.recorder = recorder
        var logger = logger
        logger[metadataKey: "consumer.group"] = "\(group)"
        self.logger = logger
    }

    public func run() async throws {
        logger.info("consumer subscribing", metadata: [
            "outbox.topic": "\(topic)", "outbox.broker.capabilities": "\(subscriber.capabilities)",
        ])
        try await cancelWhenGracefulShutdown {
            try await subscriber.subscribe(topic: topic) { message in
                try await handle(message)
            }
        }
    }

    func handle(_ message: IncomingMessage) async throws {
        let envelope: Envelope
        do {
            envelope = try Envelope.decode(message.body)
        } catch {
            // Kept as received so it can be inspected; redelivering it would not help.
            received.record(message.body)
            logger.info("message is not a CloudEvents envelope", metadata: [
                "outbox.broker.id": "\(message.brokerID)", "error": "\(error)",
            ])
            return
        }
        if let recorder {
            if case .duplicate(let count) = try await recorder.record(envelope, group: group) {
                logger.info("duplicate delivery ignored", metadata: [
                    "outbox.event.id": "\(envelope.id)", "outbox.delivery.count": "\(count)",
                ])
                return
            }
        }
        received.record(message.body)
        let data = envelope.data
        logger.info("event received", metadata: [
            "outbox.event.id": "\(envelope.id)",
            "outbox.event.type": "\(envelope.type)",
            "order.id": "\(envelope.subject ?? "-")",
            "order.status": "\(data["to"]?.stringValue ?? data["status"]?.stringValue ?? "-")",
            "order.flavor": "\(data["flavor"]?.stringValue ?? "-")",
            "order.size": "\(data["size"]?.stringValue ?? "-")",
            "order.quantity": "\(data["quantity"]?.numberValue.map { String(Int($0)) } ?? "-")",
        ])
    }
}
