import OTelSemanticConventions
import Tracing

/// The OpenTelemetry messaging conventions as the engine applies them: span names and the
/// attributes (named by swift-otel-semantic-conventions) that let trace viewers show the relay's
/// and the consumers' spans as messaging work. Consumers built on the engine use it too.
public enum MessagingSpans {
    /// `messaging.operation.type` values the engine records.
    public enum Operation: String, Sendable {
        /// One message made ready to send: a span per event, whose context the envelope carries.
        case create
        /// One publish call to the broker: a span per batch, linked to each message's `create` span.
        case send
        /// One message handled by a consumer.
        case process
    }

    /// The span name the conventions give: `{operation} {destination}`, e.g. `send pizza-orders`.
    public static func name(_ operation: Operation, destination: String) -> String {
        "\(operation.rawValue) \(destination)"
    }

    /// The attributes every span of `operation` on `destination` of `system` carries.
    public static func attributes(_ operation: Operation, system: String, destination: String) -> SpanAttributes {
        var attributes = SpanAttributes()
        attributes[OTelAttribute.messaging.system] = system
        attributes[OTelAttribute.messaging.destination.name] = destination
        attributes[OTelAttribute.messaging.operation.type] = operation.rawValue
        attributes[OTelAttribute.messaging.operation.name] = operation.rawValue
        return attributes
    }

    /// `messaging.message.id`: the event id, which is also the CloudEvents id.
    public static let messageID = OTelAttribute.messaging.message.id
    /// `messaging.batch.message_count`: how many messages one `send` carried.
    public static let batchMessageCount = OTelAttribute.messaging.batch.messageCount
    /// `messaging.consumer.group.name`: the consumer group a `process` span ran in.
    public static let consumerGroup = OTelAttribute.messaging.consumer.group.name
    /// `messaging.message.body.size`: the encoded envelope's size in bytes.
    public static let bodySize = OTelAttribute.messaging.message.body.size
}
