import CSodium

/// How much work Argon2id does to turn a passphrase into a key (`crypto_pwhash`,
/// https://doc.libsodium.org/password_hashing/default_phf): more makes guessing passphrases from a stolen
/// key file slower, and opening the file slower too.
///
/// A key file records the limits it was sealed with, and ``PassphraseProtection/open(_:passphrase:)`` uses
/// them, so limits can be raised later without breaking old files. Only limits from ``minimum`` to
/// ``maximum`` are sealed or opened: a damaged or hostile key file cannot make a node spend unbounded time
/// or memory before it even asks for the passphrase.
public struct PassphraseLimits: Sendable, Hashable {
    /// Argon2id passes over memory (libsodium's `opslimit`).
    public let opslimit: UInt64
    /// Argon2id memory in bytes (libsodium's `memlimit`).
    public let memlimit: UInt64

    /// Limits for sealing a key file.
    ///
    /// - Precondition: both are within ``minimum`` and ``maximum``; limits are chosen by the program, not
    ///   read from input (the key file's are checked as it is opened).
    public init(opslimit: UInt64, memlimit: UInt64) {
        precondition(
            Self.areAcceptable(opslimit: opslimit, memlimit: memlimit),
            "passphrase limits must lie between PassphraseLimits.minimum and .maximum")
        self.opslimit = opslimit
        self.memlimit = memlimit
    }

    /// libsodium's moderate limits (`crypto_pwhash_OPSLIMIT_MODERATE`, `crypto_pwhash_MEMLIMIT_MODERATE`: 3
    /// passes over 256 MiB): what Waypost seals new key files with.
    ///
    /// The attack they are chosen against is a stolen disk whose key file is guessed at offline on GPUs:
    /// the cost of each guess is set by its memory, since a GPU runs as many Argon2id guesses at once as it
    /// has 256 MiB blocks of memory for (a 24 GiB card: at most 96, against 384 at the interactive 64 MiB),
    /// and each takes 3 passes rather than 2. Opening a key file costs about 0.8 s of CPU and 256 MiB for
    /// that moment (measured on a 2-core AMD EPYC virtual machine, `Protocol/keys.md` §3); every command
    /// that needs the passphrase pays it once, `serve` once at start.
    public static let moderate = PassphraseLimits(
        opslimit: UInt64(crypto_pwhash_opslimit_moderate()), memlimit: UInt64(crypto_pwhash_memlimit_moderate()))

    /// libsodium's interactive limits (`crypto_pwhash_OPSLIMIT_INTERACTIVE`, `crypto_pwhash_MEMLIMIT_INTERACTIVE`:
    /// 2 passes over 64 MiB), what Waypost sealed key files with before it used ``moderate``. Such files
    /// still open (a key file records its limits); `waypost passphrase change` re-seals them with ``moderate``.
    public static let interactive = PassphraseLimits(
        opslimit: UInt64(crypto_pwhash_opslimit_interactive()), memlimit: UInt64(crypto_pwhash_memlimit_interactive()))

    /// The smallest limits Argon2id allows (`crypto_pwhash_OPSLIMIT_MIN`, `crypto_pwhash_MEMLIMIT_MIN`: 1 pass
    /// over 8 KiB). For tests only: they protect nothing against guessing.
    public static let minimum = PassphraseLimits(
        opslimit: UInt64(crypto_pwhash_opslimit_min()), memlimit: UInt64(crypto_pwhash_memlimit_min()))

    /// The largest limits Waypost seals with or opens: libsodium's sensitive values
    /// (`crypto_pwhash_OPSLIMIT_SENSITIVE`, `crypto_pwhash_MEMLIMIT_SENSITIVE`: 4 passes over 1 GiB), the most
    /// any of libsodium's presets asks for and about what a field laptop can spare.
    public static let maximum = PassphraseLimits(
        opslimit: UInt64(crypto_pwhash_opslimit_sensitive()), memlimit: UInt64(crypto_pwhash_memlimit_sensitive()))

    /// Whether limits lie between ``minimum`` and ``maximum``; checked before any memory is allocated.
    static func areAcceptable(opslimit: UInt64, memlimit: UInt64) -> Bool {
        (UInt64(crypto_pwhash_opslimit_min())...UInt64(crypto_pwhash_opslimit_sensitive())).contains(opslimit)
            && (UInt64(crypto_pwhash_memlimit_min())...UInt64(crypto_pwhash_memlimit_sensitive())).contains(memlimit)
    }
}
