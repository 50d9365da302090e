import Foundation
import Logging
import Synchronization
import Tracing

/// A tracer that keeps W3C trace context: each span gets a new span id in its parent's trace (or a
/// new trace), `traceparent` is injected and extracted, and `metadataProvider` puts `trace.id` and
/// `span.id` on every log line written inside a span. It exports nothing: logs carry the trace.
public struct W3CTracer: Tracer {
    /// The span type it records.
    public typealias Span = W3CSpan

    /// A tracer; bootstrap it with `InstrumentationSystem.bootstrap(_:)`.
    public init() {}

    /// Starts a span that continues the trace of `context`, or starts a new trace.
    public func startSpan<Instant: TracerInstant>(
        _ operationName: String,
        context: @autoclosure () -> InstrumentationContext,
        ofKind kind: SpanKind,
        at instant: @autoclosure () -> Instant,
        function: String,
        file fileID: String,
        line: UInt
    ) -> W3CSpan {
        var spanContext = context()
        spanContext.traceParent = spanContext.traceParent?.child() ?? .random()
        return W3CSpan(operationName: operationName, context: spanContext)
    }

    /// Nothing to flush: spans are not exported.
    public func forceFlush() {}

    /// Writes the current span's `traceparent` into `carrier`.
    public func inject<Carrier, Inject: Injector>(
        _ context: InstrumentationContext,
        into carrier: inout Carrier,
        using injector: Inject
    ) where Inject.Carrier == Carrier {
        if let parent = context.traceParent { injector.inject(parent.header, forKey: "traceparent", into: &carrier) }
    }

    /// Reads a valid `traceparent` from `carrier` into `context`.
    public func extract<Carrier, Extract: Extractor>(
        _ carrier: Carrier,
        into context: inout InstrumentationContext,
        using extractor: Extract
    ) where Extract.Carrier == Carrier {
        if let header = extractor.extract(key: "traceparent", from: carrier), let parent = TraceParent(header) {
            context.traceParent = parent
        }
    }

    /// Adds `trace.id` and `span.id` of the current span to log lines.
    public static let metadataProvider = Logger.MetadataProvider {
        guard let parent = InstrumentationContext.current?.traceParent else { return [:] }
        return ["trace.id": "\(parent.traceID)", "span.id": "\(parent.spanID)"]
    }
}

/// A span of `W3CTracer`: its context, name, attributes and status, kept until it ends.
public final class W3CSpan: Tracing.Span, Sendable {
    private struct State {
        var operationName: String
        var attributes: SpanAttributes = [:]
        var status: SpanStatus?
        var ended = false
    }

    /// The context that carries this span's trace position.
    public let context: InstrumentationContext
    private let state: Mutex<State>

    init(operationName: String, context: InstrumentationContext) {
        self.context = context
        self.state = Mutex(State(operationName: operationName))
    }

    /// What the span measures.
    public var operationName: String {
        get { state.withLock { $0.operationName } }
        set { state.withLock { $0.operationName = newValue } }
    }

    /// Attributes set on the span.
    public var attributes: SpanAttributes {
        get { state.withLock { $0.attributes } }
        set { state.withLock { $0.attributes = newValue } }
    }

    /// True until the span ends.
    public var isRecording: Bool { state.withLock { !$0.ended } }

    /// The status set last, if any.
    public var status: SpanStatus? { state.withLock { $0.status } }

    /// Records the span's status.
    public func setStatus(_ status: SpanStatus) { state.withLock { $0.status = status } }
    /// Events are not kept.
    public func addEvent(_ event: SpanEvent) {}
    /// Links are not kept.
    public func addLink(_ link: SpanLink) {}

    /// Marks the span as failed.
    public func recordError<Instant: TracerInstant>(_ error: any Error, attributes: SpanAttributes, at instant: @autoclosure () -> Instant) {
        state.withLock { $0.status = SpanStatus(code: .error, message: "\(error)") }
    }

    /// Ends the span; later changes are ignored.
    public func end<Instant: TracerInstant>(at instant: @autoclosure () -> Instant) {
        state.withLock { $0.ended = true }
    }
}
