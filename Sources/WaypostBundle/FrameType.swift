import WaypostCore
import WaypostTrust

/// The frames a bundle is made of (`Protocol/bundle.md` §3).
enum FrameType: UInt8 {
    /// The first frame: sender, time, node table, the sender's version vector.
    case header = 0x01
    /// A run of consecutive changes of one origin.
    case changes = 0x02
    /// A membership certificate (`Protocol/trust.md` §3).
    case certificate = 0x03
    /// An admin directive: a revocation or an erasure (`Protocol/trust.md` §7).
    case directive = 0x04
    /// The last frame: how many frames and changes came before it.
    case end = 0x7F
}

/// The limits a reader enforces before it allocates anything, so a malformed or hostile length cannot
/// make it use unbounded memory (`Protocol/bundle.md` §5).
enum BundleLimits {
    /// The largest frame payload: 16 MiB.
    static let framePayload = 16 << 20
    /// The longest string (a field path or value): 64 KiB.
    static let string = 64 << 10
    /// The most nodes in a bundle's node table.
    static let nodes = 65_536
    /// The most dots one change may supersede.
    static let supersedes = 4096
    /// The most changes the writer puts in one frame.
    static let changesPerFrame = 4096
    /// The most distinct field paths in one frame's field table.
    static let fieldsPerFrame = 4096
    /// The most certificates in one bundle.
    static let certificates = 65_536
    /// The most directives in one bundle.
    static let directives = 65_536
}

/// The flag bits of a change's first byte (`Protocol/bundle.md` §3.4): the low three bits are the
/// operation code.
enum ChangeFlags {
    /// The same collection and record as the previous change of the frame: neither is repeated.
    static let sameRecord: UInt8 = 0x08
    /// A 32-byte record key follows the change: its origin's first change to the record.
    static let recordKey: UInt8 = 0x10
    /// A 64-byte signature of the origin's chain head at this change follows.
    static let signature: UInt8 = 0x20
    /// The field path is an index into the frame's field table, not a string.
    static let fieldReference: UInt8 = 0x40
    /// The change's value was erased: a 32-byte digest stands in place of its value, element, amount or
    /// entry (`Protocol/bundle.md` §3.4).
    static let erased: UInt8 = 0x80
    /// The bits a reader of this version knows.
    static let known: UInt8 = 0xFF
}

/// Operation codes (`Protocol/bundle.md` §4).
enum OperationCode: UInt8 {
    case assign = 1
    case insert = 2
    case remove = 3
    case increment = 4
    case append = 5

    /// The code of an operation: the one its chain leaf commits to (``WaypostTrust/ChangeChain/operationCode(_:)``).
    init(_ operation: WaypostCore.Operation) {
        self.init(rawValue: ChangeChain.operationCode(operation))!
    }
}
