import Foundation

/// A CloudEvents 1.0 structured-mode JSON envelope; `data` is kept as parsed JSON.
public struct Envelope: Sendable, Equatable, Codable {
    /// The CloudEvents version, always `1.0`.
    public var specversion: String
    /// The event id: also the inbox key that de-duplicates deliveries.
    public var id: String
    /// Who published the event (the relay's `source`).
    public var source: String
    /// The event type, e.g. `PizzaOrderCreated`.
    public var type: String
    /// The aggregate id: events with one subject are applied in order.
    public var subject: String?
    /// When the event was committed.
    public var time: Date
    /// The content type of `data`, always `application/json`.
    public var datacontenttype: String
    /// The W3C trace context of the transaction that wrote the event.
    public var traceparent: String?
    /// Extension attribute: id of the previous event of the same subject, which a consumer applies first.
    public var previousid: String?
    /// The event's payload, parsed.
    public var data: JSONValue

    /// An envelope for one event (`specversion` and `datacontenttype` are fixed).
    public init(
        id: String,
        source: String,
        type: String,
        subject: String?,
        time: Date,
        traceparent: String? = nil,
        previousid: String? = nil,
        data: JSONValue
    ) {
        self.specversion = "1.0"
        self.id = id
        self.source = source
        self.type = type
        self.subject = subject
        self.time = time
        self.datacontenttype = "application/json"
        self.traceparent = traceparent
        self.previousid = previousid
        self.data = data
    }

    /// Decodes an envelope from its JSON text: the same envelopes as `JSONDecoder` would accept,
    /// read in one pass (this is every consumer's hot path).
    public static func decode(_ text: String) throws -> Envelope {
        guard let members = try JSONScanner.parse(text).members else {
            throw OutboxError(code: .invalidEvent, message: "the envelope is not a JSON object")
        }
        func required(_ key: String) throws -> String {
            guard case .string(let value)? = members[key] else {
                throw OutboxError(code: .invalidEvent, message: "the envelope's \(key) is missing or not a string")
            }
            return value
        }
        func optional(_ key: String) throws -> String? {
            switch members[key] {
            case nil, .null?: return nil
            case .string(let value)?: return value
            default: throw OutboxError(code: .invalidEvent, message: "the envelope's \(key) is not a string")
            }
        }
        let time = try required("time")
        guard let date = RFC3339.parse(time) else {
            throw OutboxError(code: .invalidEvent, message: "the envelope's time is not an RFC 3339 time: \(time)")
        }
        guard let data = members["data"] else { throw OutboxError(code: .invalidEvent, message: "the envelope has no data") }
        var envelope = Envelope(
            id: try required("id"),
            source: try required("source"),
            type: try required("type"),
            subject: try optional("subject"),
            time: date,
            traceparent: try optional("traceparent"),
            previousid: try optional("previousid"),
            data: try JSONValue(data)
        )
        envelope.specversion = try required("specversion")
        envelope.datacontenttype = try required("datacontenttype")
        return envelope
    }

    /// Encodes `event` as an envelope without parsing its payload: the stored payload is already JSON,
    /// so it is spliced in as `data`. This is the relay's hot path.
    public static func encode(_ event: OutboxEvent, source: String) -> String {
        var out = "{\"specversion\":\"1.0\",\"id\":\""
        out += event.id.uuidString.lowercased()
        out += "\",\"source\":"
        appendJSONString(source, to: &out)
        out += ",\"type\":"
        appendJSONString(event.eventType, to: &out)
        out += ",\"subject\":"
        appendJSONString(event.aggregateID, to: &out)
        out += ",\"time\":\""
        out += RFC3339.format(event.createdAt)
        out += "\",\"datacontenttype\":\"application/json\""
        if let traceparent = event.headers["traceparent"] {
            out += ",\"traceparent\":"
            appendJSONString(traceparent, to: &out)
        }
        if let previous = event.previousID {
            out += ",\"previousid\":\""
            out += previous.uuidString.lowercased()
            out += "\""
        }
        out += ",\"data\":"
        out += event.payload
        out += "}"
        return out
    }

    static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = RFC3339.decodingStrategy
        return decoder
    }()

    /// Encodes the structured-mode JSON form, leaving out absent optional attributes.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(specversion, forKey: .specversion)
        try container.encode(id, forKey: .id)
        try container.encode(source, forKey: .source)
        try container.encode(type, forKey: .type)
        try container.encodeIfPresent(subject, forKey: .subject)
        try container.encode(RFC3339.format(time), forKey: .time)
        try container.encode(datacontenttype, forKey: .datacontenttype)
        try container.encodeIfPresent(traceparent, forKey: .traceparent)
        try container.encodeIfPresent(previousid, forKey: .previousid)
        try container.encode(data, forKey: .data)
    }
}

/// Appends `value` as a JSON string literal (quotes included).
package func appendJSONString(_ value: String, to out: inout String) {
    out.append("\"")
    // Most text needs no escaping: append it whole (scalar by scalar was 11% of the relay's time).
    if !value.utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
        out += value
        out.append("\"")
        return
    }
    for scalar in value.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        case _ where scalar.value < 0x20:
            out += "\\u00"
            let hex = String(scalar.value, radix: 16)
            out += hex.count == 1 ? "0" + hex : hex
        default: out.unicodeScalars.append(scalar)
        }
    }
    out.append("\"")
}
