import Testing

@testable import WaypostCore

@Suite struct JSONValueTests {
    @Test func scalarsPrintAsJSON() {
        #expect(JSONValue.null.canonical == "null")
        #expect(JSONValue.bool(true).canonical == "true")
        #expect(JSONValue.bool(false).canonical == "false")
        #expect(JSONValue.number("-12.34").canonical == "-12.34")
        #expect(JSONValue.integer(UInt64.max).canonical == "18446744073709551615")
        #expect(JSONValue.integer(-3 as Int64).canonical == "-3")
        #expect(JSONValue.array([]).canonical == "[]")
        #expect(JSONValue.object([:]).canonical == "{}")
    }

    @Test func objectKeysAreSortedByTheirUTF8Bytes() {
        let object = JSONValue.object([
            "b": .integer(2), "a": .integer(1), "B": .integer(0), "é": .integer(4), "z": .integer(3), "": .null,
            "ab": .integer(5),
        ])
        #expect(object.canonical == #"{"":null,"B":0,"a":1,"ab":5,"b":2,"z":3,"é":4}"#)
    }

    @Test func keysBeyondTheBasicPlaneSortByCodePointNotUTF16() {
        // U+FF21 (fullwidth A) is one UTF-16 unit above the surrogates used by U+1F600; UTF-8 byte order
        // puts it first, as code point order does.
        let object = JSONValue.object(["\u{1F600}": .integer(1), "\u{FF21}": .integer(2)])
        #expect(object.canonical == "{\"\u{FF21}\":2,\"\u{1F600}\":1}")
    }

    @Test func nestedValuesHaveNoInsignificantWhiteSpace() {
        let value = JSONValue.object([
            "list": .array([.integer(1), .string("two"), .array([]), .object(["k": .bool(false)])]),
            "name": .string("Amina"),
        ])
        #expect(value.canonical == #"{"list":[1,"two",[],{"k":false}],"name":"Amina"}"#)
    }

    @Test func stringsEscapeExactlyWhatRFC8259Requires() {
        let text =
            "quote \" backslash \\ newline \n return \r tab \t bell \u{7} unit \u{1F} slash / delete \u{7F} é 😀"
        #expect(
            JSONValue.string(text).canonical
                == #""quote \" backslash \\ newline \n return \r tab \t bell \u0007 unit \u001f slash / delete "#
                + "\u{7F} é 😀\"")
    }

    @Test func theSameDocumentBuiltInAnyOrderPrintsTheSameBytes() {
        var forward: [String: JSONValue] = [:]
        var backward: [String: JSONValue] = [:]
        let keys = (0..<50).map { "key\($0)" }
        for key in keys { forward[key] = .string(key) }
        for key in keys.reversed() { backward[key] = .string(key) }
        #expect(JSONValue.object(forward).canonical == JSONValue.object(backward).canonical)
    }

    @Test func thePrettyFormIndentsByTwoSpacesWithSortedKeys() {
        let value = JSONValue.object(["b": .array([.integer(1), .null]), "a": .object([:])])
        #expect(value.pretty == "{\n  \"a\": {},\n  \"b\": [\n    1,\n    null\n  ]\n}")
    }
}
