/// The frames a bundle is made of (`Protocol/bundle.md` §3).
enum FrameType: UInt8 {
    /// The first frame: sender, time, node table, the sender's version vector.
    case header = 0x01
    /// A run of consecutive changes of one origin.
    case changes = 0x02
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
}

/// Operation codes (`Protocol/bundle.md` §4).
enum OperationCode: UInt8 {
    case assign = 1
    case insert = 2
    case remove = 3
    case increment = 4
    case append = 5
}
