/// Builds a passphrase from the bytes a terminal sends with echo, line editing and signals turned off,
/// doing the editing the terminal would have done: erase, kill line, interrupt, end of file.
///
/// Signals are off so that Ctrl-C arrives here as a byte and the prompt can restore the terminal's echo
/// before giving up, which a process killed by `SIGINT` cannot do (and catching the signal would need
/// process-wide state). The bytes live in one fixed buffer that ``wipe()`` zeroes whole, so editing leaves
/// no copies of the passphrase behind.
struct PassphraseLineEditor {
    /// What the prompt does after a byte.
    enum Outcome: Equatable {
        /// Read another byte.
        case more
        /// The passphrase is complete (Enter, or Ctrl-D after some characters).
        case done
        /// The person gave up (Ctrl-C, or Ctrl-D on an empty line).
        case cancelled
    }

    /// The longest passphrase kept, in bytes; the rest of a longer line is ignored.
    static let maximumByteCount = 1024

    private var buffer = [UInt8](repeating: 0, count: maximumByteCount)
    private var count = 0
    private let erase: UInt8
    private let kill: UInt8
    private let interrupt: UInt8
    private let endOfFile: UInt8

    /// An editor for a terminal whose special characters (`c_cc[VERASE]` and so on) are these; 0 means the
    /// terminal has that one disabled (`_POSIX_VDISABLE`).
    init(erase: UInt8 = 0x7F, kill: UInt8 = 0x15, interrupt: UInt8 = 0x03, endOfFile: UInt8 = 0x04) {
        self.erase = erase
        self.kill = kill
        self.interrupt = interrupt
        self.endOfFile = endOfFile
    }

    /// Takes one byte from the terminal.
    mutating func accept(_ byte: UInt8) -> Outcome {
        switch byte {
        case 0x0A, 0x0D:
            return .done
        case interrupt where interrupt != 0:
            return .cancelled
        case endOfFile where endOfFile != 0:
            return count == 0 ? .cancelled : .done
        case erase where erase != 0, 0x08, 0x7F:
            eraseLastCharacter()
        case kill where kill != 0:
            for index in 0..<count { buffer[index] = 0 }
            count = 0
        case 0x00..<0x20:
            break  // Other control characters (Tab, Escape) are not part of a passphrase typed at a prompt.
        default:
            if count < Self.maximumByteCount {
                buffer[count] = byte
                count += 1
            }
        }
        return .more
    }

    /// The passphrase typed so far, or nil if its bytes are not UTF-8 (a terminal set to another encoding).
    var passphrase: String? {
        buffer.withUnsafeBufferPointer { String(validating: $0[0..<count], as: UTF8.self) }
    }

    /// Zeroes every byte the editor held.
    mutating func wipe() {
        Sodium.wipe(&buffer)
        count = 0
    }

    /// Removes the last UTF-8 character: its continuation bytes (`10xxxxxx`), then its lead byte.
    private mutating func eraseLastCharacter() {
        while count > 0 && buffer[count - 1] & 0xC0 == 0x80 {
            count -= 1
            buffer[count] = 0
        }
        if count > 0 {
            count -= 1
            buffer[count] = 0
        }
    }
}
