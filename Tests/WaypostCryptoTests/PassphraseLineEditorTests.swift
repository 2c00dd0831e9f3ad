import Testing

@testable import WaypostCrypto

@Suite struct PassphraseLineEditorTests {
    /// Feeds `bytes`, returning the outcome of the last one and the passphrase.
    static func type(_ bytes: [UInt8], into editor: inout PassphraseLineEditor) -> PassphraseLineEditor.Outcome {
        var outcome = PassphraseLineEditor.Outcome.more
        for byte in bytes {
            outcome = editor.accept(byte)
            if outcome != .more { break }
        }
        return outcome
    }

    static func typed(_ bytes: [UInt8]) -> (PassphraseLineEditor.Outcome, String?) {
        var editor = PassphraseLineEditor()
        let outcome = type(bytes, into: &editor)
        return (outcome, editor.passphrase)
    }

    @Test func enterFinishes() {
        #expect(Self.typed(Array("secret\n".utf8)) == (.done, "secret"))
        #expect(Self.typed(Array("secret\r".utf8)) == (.done, "secret"))
        #expect(Self.typed(Array("\n".utf8)) == (.done, ""))
    }

    @Test func eraseRemovesWholeCharacters() {
        // "Zaatari" + "é" (two bytes) + erase + "e": the erase takes both bytes of "é".
        #expect(Self.typed(Array("Zaatari\u{E9}".utf8) + [0x7F] + Array("e\n".utf8)) == (.done, "Zaatarie"))
        #expect(Self.typed(Array("ab".utf8) + [0x08, 0x08, 0x08] + Array("c\n".utf8)) == (.done, "c"))
        #expect(Self.typed(Array("ب".utf8) + [0x7F, 0x0A]) == (.done, ""))
    }

    @Test func killClearsTheLine() {
        #expect(Self.typed(Array("wrong".utf8) + [0x15] + Array("right\n".utf8)) == (.done, "right"))
    }

    @Test func interruptAndEndOfFileCancel() {
        #expect(Self.typed(Array("half".utf8) + [0x03]).0 == .cancelled)
        #expect(Self.typed([0x04]).0 == .cancelled)
        #expect(Self.typed(Array("done".utf8) + [0x04]) == (.done, "done"))
    }

    @Test func otherControlCharactersAreIgnored() {
        #expect(Self.typed(Array("a\tb".utf8) + [0x1B] + Array("c\n".utf8)) == (.done, "abc"))
    }

    @Test func theTerminalsOwnCharactersAreUsed() {
        var editor = PassphraseLineEditor(erase: 0x08, kill: 0x18, interrupt: 0x07, endOfFile: 0)
        #expect(
            Self.type(Array("ab".utf8) + [0x18] + Array("cd".utf8) + [0x08] + [0x04, 0x0A], into: &editor) == .done)
        #expect(editor.passphrase == "c")
        var other = PassphraseLineEditor(erase: 0x08, kill: 0x18, interrupt: 0x07, endOfFile: 0)
        #expect(Self.type([0x07], into: &other) == .cancelled)
    }

    @Test func aVeryLongLineIsCut() {
        let (outcome, passphrase) = Self.typed([UInt8](repeating: 0x61, count: 5000) + [0x0A])
        #expect(outcome == .done)
        #expect(passphrase?.utf8.count == PassphraseLineEditor.maximumByteCount)
    }

    @Test func invalidUTF8GivesNoPassphrase() {
        #expect(Self.typed([0x61, 0xFF, 0x0A]).1 == nil)
    }

    @Test func wipeForgetsEverything() {
        var editor = PassphraseLineEditor()
        _ = Self.type(Array("secret".utf8), into: &editor)
        editor.wipe()
        #expect(editor.passphrase == "")
    }
}
