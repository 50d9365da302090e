import Foundation
import Synchronization
import Tracing

/// A W3C Trace Context `traceparent`: `00-<32 hex trace id>-<16 hex span id>-<2 hex flags>`.
public struct TraceParent: Sendable, Hashable, CustomStringConvertible {
    /// 32 lower-case hex digits, not all zero.
    public let traceID: String
    /// 16 lower-case hex digits, not all zero: the span this one continues.
    public let spanID: String
    /// The sampled flag of the trace.
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
    /// The header text.
    public var description: String { header }

    static func isHex(_ text: Substring, count: Int) -> Bool {
        text.count == count && text.allSatisfy { $0.isHexDigit && !$0.isUppercase }
    }

    /// `bytes` random bytes as lowercase hex, never all zero (W3C forbids zero ids).
    static func randomHex(bytes: Int) -> String {
        let digits = Array("0123456789abcdef".utf8)
        while true {
            var nonZero = false
            let text = String(unsafeUninitializedCapacity: bytes * 2) { buffer in
                var index = 0
                while index < bytes * 2 {
                    var word = TraceIDGenerator.shared.next()
                    nonZero = nonZero || word != 0
                    for _ in 0..<16 where index < bytes * 2 {
                        buffer[index] = digits[Int(word & 0xF)]
                        word >>= 4
                        index += 1
                    }
                }
                return index
            }
            if nonZero { return text }
        }
    }
}

/// Random ids for traces and spans. They must be unique, not secret, so a xoshiro256** generator
/// seeded once from the system replaces a system call per id (which showed up in the relay's profile).
final class TraceIDGenerator: Sendable {
    static let shared = TraceIDGenerator()
    private let state: Mutex<(UInt64, UInt64, UInt64, UInt64)>

    private init() {
        var system = SystemRandomNumberGenerator()
        var seed = (system.next() as UInt64, system.next() as UInt64, system.next() as UInt64, system.next() as UInt64)
        if seed == (0, 0, 0, 0) { seed.0 = 1 }
        state = Mutex(seed)
    }

    func next() -> UInt64 {
        state.withLock { s in
            let result = rotate(s.1 &* 5, 7) &* 9
            let t = s.1 << 17
            s.2 ^= s.0
            s.3 ^= s.1
            s.1 ^= s.2
            s.0 ^= s.3
            s.2 ^= t
            s.3 = rotate(s.3, 45)
            return result
        }
    }

    private func rotate(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }
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
