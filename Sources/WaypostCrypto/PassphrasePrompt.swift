#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Gets the passphrase for a key file from the environment or from the person at the terminal.
///
/// Neither the passphrase nor its length is ever written anywhere: not to the terminal, not to a log.
public enum PassphrasePrompt {
    /// The environment variable a passphrase is taken from before any terminal is asked: for scripts and
    /// services. Anyone who can read the process's environment (the same user, root) can read it.
    public static let environmentVariable = "WAYPOST_PASSPHRASE"

    /// The passphrase: ``environmentVariable`` if it is set and not empty, otherwise typed at the
    /// controlling terminal (`/dev/tty`) after `prompt`, without echo.
    ///
    /// Reading from `/dev/tty` rather than standard input keeps the passphrase out of pipes and redirected
    /// files. While it reads, the terminal's echo, line editing and signals are off (`tcsetattr`), and they
    /// are restored before this returns or throws; Ctrl-C cancels.
    ///
    /// - Parameter environment: the process's environment, such as `ProcessInfo.processInfo.environment`.
    /// - Throws: ``CryptoError`` `noPassphrase` if there is neither the variable nor a terminal, or the
    ///   terminal cannot be read; `cancelled` on Ctrl-C, or Ctrl-D at an empty prompt; `malformed` if the
    ///   typed bytes are not UTF-8.
    public static func read(prompt: String, environment: [String: String]) throws(CryptoError) -> String {
        try read(prompt: prompt, environment: environment, terminalPath: "/dev/tty")
    }

    /// ``read(prompt:environment:)`` with another terminal device, for tests on a pseudo-terminal.
    static func read(
        prompt: String, environment: [String: String], terminalPath: String
    ) throws(CryptoError) -> String {
        if let value = environment[environmentVariable], !value.isEmpty { return value }
        let unset = environment[environmentVariable] == nil ? "" : " (\(environmentVariable) is set but empty)"
        let noTerminal = CryptoError(
            .noPassphrase, "no passphrase: set \(environmentVariable) or run in a terminal\(unset)")

        let descriptor = openTerminal(terminalPath)
        guard descriptor >= 0 else { throw noTerminal }
        defer { _ = close(descriptor) }
        var original = termios()
        guard tcgetattr(descriptor, &original) == 0 else { throw noTerminal }
        var quiet = original
        quiet.c_lflag &= ~tcflag_t(ECHO | ECHONL | ICANON | ISIG | IEXTEN)
        withUnsafeMutableBytes(of: &quiet.c_cc) { characters in
            characters[Int(VMIN)] = 1
            characters[Int(VTIME)] = 0
        }
        guard tcsetattr(descriptor, TCSAFLUSH, &quiet) == 0 else { throw noTerminal }
        defer {
            // Echo was off, so the person's Enter did not move to a new line.
            writeAll("\n", to: descriptor)
            _ = tcsetattr(descriptor, TCSAFLUSH, &original)
        }

        var editor = withUnsafeBytes(of: original.c_cc) { characters in
            PassphraseLineEditor(
                erase: characters[Int(VERASE)], kill: characters[Int(VKILL)], interrupt: characters[Int(VINTR)],
                endOfFile: characters[Int(VEOF)])
        }
        defer { editor.wipe() }
        writeAll(prompt, to: descriptor)
        var byte: UInt8 = 0
        defer { byte = 0 }
        reading: while true {
            let count = readByte(from: descriptor, into: &byte)
            if count < 0 {
                if errno == EINTR { continue }
                throw CryptoError(
                    .noPassphrase, "cannot read the passphrase from the terminal: \(String(cString: strerror(errno)))")
            }
            if count == 0 {
                throw CryptoError(.cancelled, "the terminal closed before a passphrase was entered")
            }
            switch editor.accept(byte) {
            case .more: continue reading
            case .done: break reading
            case .cancelled: throw CryptoError(.cancelled, "passphrase entry cancelled; nothing was changed")
            }
        }
        guard let passphrase = editor.passphrase else {
            throw CryptoError(
                .malformed, "the passphrase typed is not valid UTF-8; set the terminal to UTF-8 (check LANG) and retry")
        }
        return passphrase
    }
}

// The C functions sit outside the enum so that its `read` method does not hide `read(2)`.

private func openTerminal(_ path: String) -> Int32 {
    open(path, O_RDWR | O_NOCTTY | O_CLOEXEC)
}

private func readByte(from descriptor: Int32, into byte: inout UInt8) -> Int {
    read(descriptor, &byte, 1)
}

private func writeAll(_ text: String, to descriptor: Int32) {
    var bytes = Array(text.utf8)[...]
    while !bytes.isEmpty {
        let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        if written < 0 && errno == EINTR { continue }
        guard written > 0 else { return }
        bytes = bytes.dropFirst(written)
    }
}
