import Foundation

/// The JSON text form of event headers, shared by the SQL drivers.
package enum OutboxHeaders {
    /// `{"key":"value",…}` with keys sorted, so equal headers give equal text.
    package static func encode(_ headers: [String: String]) -> String {
        guard !headers.isEmpty else { return "{}" }
        var out = "{"
        for (index, (key, value)) in headers.sorted(by: { $0.key < $1.key }).enumerated() {
            if index > 0 { out += "," }
            appendJSONString(key, to: &out)
            out += ":"
            appendJSONString(value, to: &out)
        }
        return out + "}"
    }

    /// Parses headers; anything that is not an object of strings gives no headers.
    package static func decode(_ text: String) -> [String: String] {
        // Events without headers are common; a JSON decoder per event showed in the relay's profile.
        if text == "{}" { return [:] }
        guard let members = (try? JSONScanner.parse(text))?.members else { return [:] }
        var headers: [String: String] = [:]
        for (key, value) in members {
            guard case .string(let text) = value else { return [:] }
            headers[key] = text
        }
        return headers
    }
}
