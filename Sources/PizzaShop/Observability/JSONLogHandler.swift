import Foundation
import Logging
import Outbox
import Synchronization

/// A swift-log handler that writes one JSON object per line: `timestamp` (RFC 3339, milliseconds),
/// `level`, `label`, `message`, `source` and `metadata` (the logger's, the provider's and the call's,
/// later ones winning). For log shippers that parse JSON.
public struct JSONLogHandler: LogHandler {
    /// Where finished lines go; one call per line, so lines never interleave.
    public typealias Sink = @Sendable (String) -> Void

    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    let label: String
    let sink: Sink

    public init(label: String, metadataProvider: Logger.MetadataProvider? = nil, sink: @escaping Sink) {
        self.label = label
        self.metadataProvider = metadataProvider
        self.sink = sink
    }

    /// A handler writing to standard error, one line at a time.
    public static func standardError(label: String, metadataProvider: Logger.MetadataProvider? = nil) -> JSONLogHandler {
        JSONLogHandler(label: label, metadataProvider: metadataProvider) { line in
            standardErrorLock.withLock { _ in FileHandle.standardError.write(Data(line.utf8)) }
        }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let extra = event.metadata { merged.merge(extra) { _, new in new } }
        var line = "{\"timestamp\":\""
        line += RFC3339.format(Date())
        line += "\",\"level\":\""
        line += event.level.rawValue
        line += "\",\"label\":"
        appendJSONString(label, to: &line)
        line += ",\"message\":"
        appendJSONString(event.message.description, to: &line)
        line += ",\"source\":"
        appendJSONString(event.source, to: &line)
        if let error = event.error {
            line += ",\"error\":"
            appendJSONString(String(describing: error), to: &line)
        }
        line += ",\"metadata\":"
        Self.append(.dictionary(merged), to: &line)
        line += "}\n"
        sink(line)
    }

    /// Metadata as JSON: strings, arrays and objects (keys sorted, so lines are stable).
    static func append(_ value: Logger.Metadata.Value, to line: inout String) {
        switch value {
        case .string(let text):
            appendJSONString(text, to: &line)
        case .stringConvertible(let convertible):
            appendJSONString(convertible.description, to: &line)
        case .array(let values):
            line += "["
            for (index, element) in values.enumerated() {
                if index > 0 { line += "," }
                append(element, to: &line)
            }
            line += "]"
        case .dictionary(let members):
            line += "{"
            for (index, key) in members.keys.sorted().enumerated() {
                if index > 0 { line += "," }
                appendJSONString(key, to: &line)
                line += ":"
                append(members[key]!, to: &line)
            }
            line += "}"
        }
    }
}

/// Serialises whole lines to standard error across threads.
private let standardErrorLock = Mutex(())
