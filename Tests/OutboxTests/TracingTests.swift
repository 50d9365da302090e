import Foundation
import Logging
import Outbox
import Synchronization
import Testing
import Tracing

@Suite struct TraceParentTests {
    @Test func parsesAndFormatsVersion00() throws {
        let header = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
        let parent = try #require(TraceParent(header))
        #expect(parent.traceID == "4bf92f3577b34da6a3ce929d0e0e4736" && parent.spanID == "00f067aa0ba902b7" && parent.sampled)
        #expect(parent.header == header)
        #expect(TraceParent(header.uppercased())?.header == header)
    }

    @Test(arguments: [
        "", "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01", "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7", "00-xbf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
    ])
    func rejectsInvalidHeaders(_ header: String) {
        #expect(TraceParent(header) == nil)
    }

    @Test func childrenKeepTheTraceAndRandomTracesDiffer() {
        let root = TraceParent.random()
        let child = root.child()
        #expect(child.traceID == root.traceID && child.spanID != root.spanID)
        #expect(TraceParent.random().traceID != root.traceID)
        #expect(TraceParent(root.header) == root)
    }
}

@Suite struct W3CTracerTests {
    struct Headers: Injector, Extractor {
        func inject(_ value: String, forKey key: String, into carrier: inout [String: String]) { carrier[key] = value }
        func extract(key: String, from carrier: [String: String]) -> String? { carrier[key] }
    }

    @Test func spansContinueTheExtractedTraceAndInjectTheirOwn() {
        let tracer = W3CTracer()
        let incoming = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
        var context = InstrumentationContext.topLevel
        tracer.extract(["traceparent": incoming], into: &context, using: Headers())
        let span = tracer.startSpan(
            "work",
            context: context,
            ofKind: .server,
            at: DefaultTracerClock.now,
            function: #function,
            file: #fileID,
            line: #line
        )
        let mine = span.context.traceParent
        #expect(mine?.traceID == "4bf92f3577b34da6a3ce929d0e0e4736" && mine?.spanID != "00f067aa0ba902b7")
        var outgoing: [String: String] = [:]
        tracer.inject(span.context, into: &outgoing, using: Headers())
        #expect(outgoing["traceparent"] == mine?.header)
        span.recordError(CancellationError())
        #expect(span.status?.code == .error)
        span.end()
        #expect(!span.isRecording)
        // Without an incoming trace, a span starts one.
        let fresh = tracer.startSpan(
            "new",
            context: .topLevel,
            ofKind: .internal,
            at: DefaultTracerClock.now,
            function: #function,
            file: #fileID,
            line: #line
        )
        #expect(fresh.context.traceParent != nil)
    }

    @Test func logLinesInsideASpanCarryItsTrace() {
        let context = InstrumentationContext.continuing(traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
        InstrumentationContext.$current.withValue(context) {
            let metadata = W3CTracer.metadataProvider.get()
            #expect(metadata["trace.id"] == "4bf92f3577b34da6a3ce929d0e0e4736")
            #expect(metadata["span.id"] == "00f067aa0ba902b7")
        }
        #expect(W3CTracer.metadataProvider.get().isEmpty)
    }
}
