import Foundation

/// RFC 3339 timestamps with milliseconds in UTC, as envelopes and APIs carry them.
package enum RFC3339 {
    /// Formats `date`, rounded to the nearest millisecond (Foundation's formatter truncates, so
    /// .123 stored as .12299… would print as .122).
    package static func format(_ date: Date) -> String {
        let milliseconds = Int64((date.timeIntervalSince1970 * 1000).rounded())
        let wholeSeconds = floorDivide(milliseconds, 1000)
        var seconds = time_t(wholeSeconds)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func pad(_ value: Int64, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(pad(Int64(parts.tm_year) + 1900, 4))-\(pad(Int64(parts.tm_mon) + 1, 2))-\(pad(Int64(parts.tm_mday), 2))T"
            + "\(pad(Int64(parts.tm_hour), 2)):\(pad(Int64(parts.tm_min), 2)):\(pad(Int64(parts.tm_sec), 2))."
            + "\(pad(milliseconds - wholeSeconds * 1000, 3))Z"
    }

    /// Parses a timestamp with or without fractional seconds, rounded to the millisecond.
    package static func parse(_ text: String) -> Date? {
        if let date = try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)) {
            return date.roundedToMilliseconds
        }
        return (try? Date(text, strategy: Date.ISO8601FormatStyle()))?.roundedToMilliseconds
    }

    /// For `JSONDecoder.dateDecodingStrategy`.
    package static let decodingStrategy = JSONDecoder.DateDecodingStrategy.custom { decoder in
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let date = parse(text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "not an RFC 3339 time: \(text)")
        }
        return date
    }

    /// For `JSONEncoder.dateEncodingStrategy`.
    package static let encodingStrategy = JSONEncoder.DateEncodingStrategy.custom { date, encoder in
        var container = encoder.singleValueContainer()
        try container.encode(format(date))
    }

    /// Division rounding towards negative infinity, so times before 1970 format correctly.
    static func floorDivide(_ value: Int64, _ divisor: Int64) -> Int64 {
        let quotient = value / divisor
        return (value % divisor != 0 && (value < 0) != (divisor < 0)) ? quotient - 1 : quotient
    }
}

extension Date {
    /// The nearest whole millisecond, computed one way everywhere, so that a time that went through
    /// PostgreSQL (microseconds) or JSON (milliseconds) compares equal to the original.
    package var roundedToMilliseconds: Date {
        Date(timeIntervalSince1970: (timeIntervalSince1970 * 1000).rounded() / 1000)
    }
}
