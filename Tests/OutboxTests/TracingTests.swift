import Testing
import Tracing

@testable import Outbox

@Suite struct TraceHeadersTests {
    @Test func injectorAndExtractorUseTheHeadersAsTheyAre() {
        var headers: [String: String] = ["other": "kept"]
        HeadersInjector().inject("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", forKey: "traceparent", into: &headers)
        #expect(headers == ["other": "kept", "traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"])
        #expect(HeadersExtractor().extract(key: "traceparent", from: headers) == headers["traceparent"])
        #expect(HeadersExtractor().extract(key: "tracestate", from: headers) == nil)
    }

    @Test func withoutAnInstrumentNothingIsWrittenOrRead() {
        // The test process bootstraps no tracer: contexts carry nothing and write no headers.
        let context = ServiceContext.continuing(traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
        #expect(context.traceHeaders.isEmpty)
        #expect(ServiceContext.continuing(traceparent: nil).traceHeaders.isEmpty)
    }
}

@Suite struct MessagingSpansTests {
    @Test func namesFollowTheConventions() {
        #expect(MessagingSpans.name(.create, destination: "pizza-orders") == "create pizza-orders")
        #expect(MessagingSpans.name(.send, destination: "pizza-orders") == "send pizza-orders")
        #expect(MessagingSpans.name(.process, destination: "pizza-orders") == "process pizza-orders")
    }

    @Test func attributesNameSystemDestinationAndOperation() {
        let attributes = MessagingSpans.attributes(.send, system: "redis", destination: "pizza-orders")
        #expect(attributes["messaging.system"]?.toSpanAttribute() == .string("redis"))
        #expect(attributes["messaging.destination.name"]?.toSpanAttribute() == .string("pizza-orders"))
        #expect(attributes["messaging.operation.type"]?.toSpanAttribute() == .string("send"))
        #expect(attributes["messaging.operation.name"]?.toSpanAttribute() == .string("send"))
        #expect(MessagingSpans.messageID == "messaging.message.id")
        #expect(MessagingSpans.batchMessageCount == "messaging.batch.message_count")
        #expect(MessagingSpans.consumerGroup == "messaging.consumer.group.name")
    }
}

@Suite struct RelayMetricHelpTests {
    @Test func everyRelayMetricIsDescribed() {
        let metrics = RelayMetrics()
        let labels = [
            metrics.published.label, metrics.retried.label, metrics.failed.label, metrics.released.label,
            metrics.batchSize.label, metrics.batchDuration.label,
        ]
        #expect(Set(labels) == Set(RelayMetricHelp.texts.keys))
    }
}
