import Foundation
import Testing

@testable import Outbox

struct JSONScannerTests {
    /// Documents JSONDecoder accepts: the scanner must read each to the same value.
    static let valid = [
        #"{}"#, #"[]"#, #"null"#, #"true"#, #"false"#, #"0"#, #"-0"#, #"12.5"#, #"-1.25e+3"#, #"6E-2"#, #"1e2"#,
        #""plain""#, #""""#, #"" spaced \"quote\" \\ \/ \b\f\n\r\t""#, #""\u00e9\u4e2d\ud83d\ude00""#, #""é中😀""#,
        #"  {"a" : [1, 2, {"b": null}], "c": {"d": [true, false]}, "e": "x"}  "#,
        #"{"flavor":"Margherita","size":"large","quantity":2,"price":12.50,"address":"1 Main St","user_name":"ann"}"#,
        "[\n\t1 ,\r\n 2 ]", #"[[[[[[[[[["deep"]]]]]]]]]]"#, #"{"a":1,"a":2}"#, #"12345678901234567890"#,
    ]

    /// Documents JSONDecoder refuses: the scanner must refuse each too.
    static let invalid = [
        "", " ", "{", "}", "[1 2]", #"{"a" 1}"#, #"{a:1}"#, "01", "-", "1.", ".5", "1e", "+1",
        "NaN", "Infinity", "tru", "nulll", #"'single'"#, "\"unterminated", "\"tab\there\"", #""\x""#, #""\u12""#,
        #""\ud800""#, #""\udc00x""#, #""\ud800\u0041""#, "{} {}", "[1] x", "1e400",
    ]

    /// JSONDecoder also accepts trailing commas; the scanner follows RFC 8259 and refuses them.
    @Test func refusesTrailingCommas() {
        for text in ["[1,]", #"{"a":1,}"#, "[,]"] {
            #expect(throws: JSONScanner.SyntaxError.self, "\(text)") { try JSONValue(parsing: text.utf8) }
        }
    }

    @Test func readsWhatJSONDecoderReadsToTheSameValue() throws {
        for text in Self.valid {
            let expected = try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
            #expect(try JSONValue(parsing: text.utf8) == expected, "\(text)")
        }
    }

    @Test func refusesWhatJSONDecoderRefuses() {
        for text in Self.invalid {
            #expect((try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))) == nil, "JSONDecoder accepts \(text)")
            #expect(throws: JSONScanner.SyntaxError.self, "\(text)") { try JSONValue(parsing: text.utf8) }
        }
    }

    @Test func refusesInvalidUTF8AndDeepNesting() {
        #expect(throws: JSONScanner.SyntaxError.self) { try JSONScanner.parse([0x22, 0xC3, 0x28, 0x22]) }
        #expect(throws: JSONScanner.SyntaxError.self) { try JSONScanner.parse([0x22, 0xFF, 0x22]) }
        let deep = String(repeating: "[", count: JSONScanner.maxDepth + 1) + String(repeating: "]", count: JSONScanner.maxDepth + 1)
        #expect(throws: JSONScanner.SyntaxError.self) { try JSONScanner.parse(deep) }
        let allowed = String(repeating: "[", count: JSONScanner.maxDepth) + String(repeating: "]", count: JSONScanner.maxDepth)
        #expect(throws: Never.self) { try JSONScanner.parse(allowed) }
    }

    @Test func numbersKeepTheirTextAndRepeatedKeysKeepTheFirst() throws {
        let value = try JSONScanner.parse(#"{"price": 12.50, "n": -1.5E+2, "k": 1, "k": 2}"#)
        guard case .number(let price)? = value.members?["price"], case .number(let n)? = value.members?["n"],
            case .number(let k)? = value.members?["k"]
        else {
            Issue.record("numbers missing: \(value)")
            return
        }
        #expect(price == "12.50")
        #expect(n == "-1.5E+2")
        #expect(k == "1")
    }

    @Test func headersAreAnObjectOfStringsOrNothing() {
        #expect(OutboxHeaders.decode(#"{"traceparent":"00-a-b-01","x":"\u00e9"}"#) == ["traceparent": "00-a-b-01", "x": "é"])
        #expect(OutboxHeaders.decode(#"{"n":1}"#).isEmpty)
        #expect(OutboxHeaders.decode("[]").isEmpty)
        #expect(OutboxHeaders.decode("{").isEmpty)
        #expect(OutboxHeaders.decode(OutboxHeaders.encode(["a\"b": "c\\d\n"])) == ["a\"b": "c\\d\n"])
    }
}
