import Tracing

/// Writes trace context into string headers, such as an event's `headers`.
public struct HeadersInjector: Injector {
    /// An injector; it keeps no state.
    public init() {}

    /// Sets `value` under `key`.
    public func inject(_ value: String, forKey key: String, into carrier: inout [String: String]) {
        carrier[key] = value
    }
}

/// Reads trace context from string headers, such as an event's `headers`.
public struct HeadersExtractor: Extractor {
    /// An extractor; it keeps no state.
    public init() {}

    /// The value under `key`, if any.
    public func extract(key: String, from carrier: [String: String]) -> String? {
        carrier[key]
    }
}

extension ServiceContext {
    /// A top-level context that continues the trace written in `headers` (a `traceparent`, read
    /// by whichever instrument is bootstrapped); a plain top-level context when there is none.
    public static func continuing(headers: [String: String]) -> ServiceContext {
        var context = ServiceContext.topLevel
        InstrumentationSystem.instrument.extract(headers, into: &context, using: HeadersExtractor())
        return context
    }

    /// A top-level context that continues a `traceparent` header value, as an envelope carries it.
    public static func continuing(traceparent: String?) -> ServiceContext {
        guard let traceparent else { return .topLevel }
        return continuing(headers: ["traceparent": traceparent])
    }

    /// The headers (`traceparent`, `tracestate`) the bootstrapped instrument writes for this context;
    /// empty when no instrument is bootstrapped.
    public var traceHeaders: [String: String] {
        var headers: [String: String] = [:]
        InstrumentationSystem.instrument.inject(self, into: &headers, using: HeadersInjector())
        return headers
    }
}
