import Testing

@testable import WaypostCrypto

#if os(Linux)
    import Glibc
#endif

@Suite struct PassphrasePromptTests {
    static let missingTerminal = "/nonexistent/waypost-test-tty"

    @Test func takesTheEnvironmentVariableFirst() throws {
        let passphrase = try PassphrasePrompt.read(
            prompt: "Passphrase: ", environment: ["WAYPOST_PASSPHRASE": "from the environment"],
            terminalPath: Self.missingTerminal)
        #expect(passphrase == "from the environment")
    }

    @Test func withoutVariableOrTerminalItSaysWhatToDo() {
        let error = #expect(throws: CryptoError.self) {
            try PassphrasePrompt.read(prompt: "Passphrase: ", environment: [:], terminalPath: Self.missingTerminal)
        }
        #expect(error?.code == .noPassphrase)
        #expect(error?.message == "no passphrase: set WAYPOST_PASSPHRASE or run in a terminal")

        let empty = #expect(throws: CryptoError.self) {
            try PassphrasePrompt.read(
                prompt: "Passphrase: ", environment: ["WAYPOST_PASSPHRASE": ""], terminalPath: Self.missingTerminal)
        }
        #expect(empty?.message.contains("set but empty") == true)
    }

    @Test func aFileThatIsNotATerminalIsRefused() {
        let error = #expect(throws: CryptoError.self) {
            try PassphrasePrompt.read(prompt: "Passphrase: ", environment: [:], terminalPath: "/dev/null")
        }
        #expect(error?.code == .noPassphrase)
    }

    #if os(Linux)
        @Test(.enabled(if: PseudoTerminal.isAvailable))
        func readsFromATerminalWithoutEchoAndRestoresIt() throws {
            let terminal = try PseudoTerminal()
            let (result, shown) = terminal.type(
                Array("hunter3".utf8) + [0x7F] + Array("2\r".utf8), after: "Passphrase: "
            ) {
                Result { () throws(CryptoError) in
                    try PassphrasePrompt.read(prompt: "Passphrase: ", environment: [:], terminalPath: terminal.path)
                }
            }
            #expect(try result.get() == "hunter2")
            #expect(shown.hasPrefix("Passphrase: "))
            #expect(!shown.contains("hunter"))
            let restored = terminal.settings
            #expect(restored.c_lflag & tcflag_t(ECHO) != 0)
            #expect(restored.c_lflag & tcflag_t(ICANON) != 0)
            #expect(restored.c_lflag & tcflag_t(ISIG) != 0)
        }

        @Test(.enabled(if: PseudoTerminal.isAvailable))
        func controlCCancelsAndRestoresEcho() throws {
            let terminal = try PseudoTerminal()
            let (result, shown) = terminal.type(Array("half".utf8) + [0x03], after: "Passphrase: ") {
                Result { () throws(CryptoError) in
                    try PassphrasePrompt.read(prompt: "Passphrase: ", environment: [:], terminalPath: terminal.path)
                }
            }
            #expect(throws: CryptoError(.cancelled, "passphrase entry cancelled; nothing was changed")) {
                try result.get()
            }
            #expect(!shown.contains("half"))
            #expect(terminal.settings.c_lflag & tcflag_t(ECHO) != 0)
        }
    #endif
}
