import Foundation
import Tracing

/// A W3C Trace Context `traceparent`: `00-<32 hex trace id>-<16 hex span id>-<2 hex flags>`.
public struct TraceParent: Sendable, Hashable, CustomStringConvertible {
    /// 32 lower-case hex digits, not all zero.
    public let traceID: String
    /// 16 lower-case hex digits, not all zero: the span this one continues.
    public let spanID: String
    public let sampled: Bool

    /// Parses a header value; nil when it is not a valid version-00 traceparent.
    public init?(_ header: String) {
        let parts = header.trimmingCharacters(in: .whitespaces).lowercased().split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0] == "00",
              Self.isHex(parts[1], count: 32), Self.isHex(parts[2], count: 16), Self.isHex(parts[3], count: 2),
              parts[1].contains(where: { $0 != "0" }), parts[2].contains(where: { $0 != "0" }),
              let flags = UInt8(parts[3], radix: 16)
        else { return nil }
        self.traceID = String(parts[1])
        self.spanID = String(parts[2])
        self.sampled = flags & 1 == 1
    }

    init(traceID: String, spanID: String, sampled: Bool) {
        self.traceID = traceID
        self.spanID = spanID
        self.sampled = sampled
    }

    /// A new trace.
    public static func random() -> TraceParent {
        TraceParent(traceID: randomHex(bytes: 16), spanID: randomHex(bytes: 8), sampled: true)
    }

    /// A new span in the same trace.
    public func child() -> TraceParent {
        TraceParent(traceID: traceID, spanID: Self.randomHex(bytes: 8), sampled: sampled)
    }

    /// The header value.
    public var header: String { "00-\(traceID)-\(spanID)-\(sampled ? "01" : "00")" }
    public var description: String { header }

    static func isHex(_ text: Substring, count: Int) -> Bool {
        text.count == count && text.allSatisfy { $0.isHexDigit && !$0.isUppercase }
    }

    static func randomHex(bytes: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        var text = ""
        repeat {
            text = (0..<bytes).map { _ in
                let byte = UInt8.random(in: 0...255, using: &generator)
                return (byte < 16 ? "0" : "") + String(byte, radix: 16)
            }.joined()
        } while !text.contains(where: { $0 != "0" })
        return text
    }
}

/// Where a `TraceParent` lives in an `InstrumentationContext`.
enum TraceParentKey: InstrumentationContextKey {
    typealias Value = TraceParent
    static let nameOverride: String? = "traceparent"
}

extension InstrumentationContext {
    /// The W3C trace position of this context, if any.
    public var traceParent: TraceParent? {
        get { self[TraceParentKey.self] }
        set { self[TraceParentKey.self] = newValue }
    }

    /// A top-level context continuing `header` (a `traceparent` value), or a new trace when it is nil or invalid.
    public static func continuing(traceparent header: String?) -> InstrumentationContext {
        var context = InstrumentationContext.topLevel
        context.traceParent = header.flatMap(TraceParent.init) ?? .random()
        return context
    }
}
