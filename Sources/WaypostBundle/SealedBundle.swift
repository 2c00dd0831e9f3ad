public import WaypostCore
public import WaypostCrypto

/// The encrypted, signed container a bundle travels in (`Protocol/bundle.md` §10): readable only by its
/// recipients, who learn and can check who sent it; anyone can see who it is for.
///
/// ```
/// "WAYPOSTB" | u16 version (2) | varint recipient count | (recipient node (32) | slot (176))* | stream
/// ```
/// - The **stream** is the bundle's frames, encrypted with a fresh content key by libsodium's
///   `crypto_secretstream_xchacha20poly1305` (see ``WaypostCrypto/SecretStream``).
/// - Each recipient's **slot** is a sealed box (`crypto_box_seal`, to the recipient's Ed25519 key
///   converted to X25519) of: the content key (32), the sender's node id (32), and the sender's
///   Ed25519 signature (64) over BLAKE2b-256 of (domain, version, the recipients' ids, the stream).
///
/// The signature binds the sender to this exact stream and recipient list: a flipped byte anywhere, a
/// cut, or a recipient that re-encrypts other content under the content key, is detected.
public enum SealedBundle {
    /// The container's format version.
    public static let version: UInt16 = 2
    /// The most recipients one bundle may have.
    public static let maximumRecipients = 256
    private static let slotLength = SealedBox.overhead + 32 + 32 + 64
    private static let domain = Array("waypost/bundle/v2".utf8) + [0]

    /// Encrypts `frames` for `recipients`, signed by `sender`.
    ///
    /// - Precondition: 1 to ``maximumRecipients`` distinct recipients.
    public static func seal(_ frames: [UInt8], from sender: SigningKeyPair, to recipients: [NodeID]) throws(BundleError)
        -> [UInt8]
    {
        precondition(!recipients.isEmpty && recipients.count <= maximumRecipients && Set(recipients).count == recipients.count)
        let contentKey = SecretStream.makeKey()
        let stream = SecretStream.encrypt(frames, key: contentKey)
        let signature = sender.sign(signedDigest(recipients: recipients, stream: stream))
        var output = ByteWriter(capacity: 16 + recipients.count * (32 + slotLength) + stream.count)
        output.write(bytes: Bundle.magic)
        output.write(bigEndian: version)
        output.write(varint: UInt64(recipients.count))
        for recipient in recipients {
            var slot = contentKey.withUnsafeBytes { Array($0) }
            slot += sender.publicKey.bytes + signature
            defer { for index in slot.indices { slot[index] = 0 } }
            do {
                output.write(bytes: recipient.bytes)
                output.write(bytes: try SealedBox.seal(slot, to: recipient))
            } catch {
                throw BundleError(.malformed, "cannot encrypt for node \(recipient.short): \(error.message)")
            }
        }
        output.write(bytes: stream)
        return output.bytes
    }

    /// The recipients named in a container, without decrypting anything: what a node that is not a
    /// recipient can still say about a bundle it passes on.
    public static func recipients(of bytes: [UInt8]) throws(BundleError) -> [NodeID] {
        try parse(bytes).recipients.map(\.node)
    }

    /// Decrypts a container addressed to `keys`' node and checks its sender's signature.
    ///
    /// - Returns: the sender and the bundle's frames.
    /// - Throws: ``BundleError``: `notABundle`, `unsupportedVersion`, `notForThisNode` (naming the
    ///   recipients), `truncated`, `corrupt` (a slot, the signature or the stream fails to authenticate),
    ///   or `malformed`.
    public static func open(_ bytes: [UInt8], with keys: SigningKeyPair) throws(BundleError) -> (sender: NodeID, frames: [UInt8]) {
        let container = try parse(bytes)
        guard let mine = container.recipients.first(where: { $0.node == keys.publicKey }) else {
            let names = container.recipients.map(\.node.short).joined(separator: ", ")
            throw BundleError(.notForThisNode, "this bundle is for \(names), not for this node; pass it on to them")
        }
        let opened: [UInt8]
        do { opened = try SealedBox.open(Array(bytes[mine.slot]), with: keys) } catch {
            throw BundleError(.corrupt, "the bundle is damaged: this node's key slot does not decrypt")
        }
        let contentKey = SecretBytes(Array(opened[0..<32]))
        let sender = NodeID(bytes: Array(opened[32..<64]))
        let signature = Array(opened[64..<128])
        let stream = Array(bytes[container.streamStart...])
        guard SignatureVerifier.isValid(
            signature, of: signedDigest(recipients: container.recipients.map(\.node), stream: stream), by: sender)
        else {
            throw BundleError(.corrupt, "the bundle is damaged or was altered after node \(sender.short) wrote it")
        }
        do {
            return (sender, try SecretStream.decrypt(stream, key: contentKey))
        } catch {
            throw BundleError(.corrupt, "the bundle's contents do not decrypt: \(error.message)")
        }
    }

    private struct Container {
        var recipients: [(node: NodeID, slot: Range<Int>)]
        var streamStart: Int
    }

    private static func parse(_ bytes: [UInt8]) throws(BundleError) -> Container {
        guard bytes.count >= Bundle.magic.count, Array(bytes[0..<Bundle.magic.count]) == Bundle.magic else {
            throw BundleError(.notABundle, "this file is not a Waypost bundle (it does not start with WAYPOSTB)")
        }
        var reader = ByteReader(bytes, range: Bundle.magic.count..<bytes.count)
        do {
            let found = try reader.readUInt16()
            guard found <= version else {
                throw BundleError(
                    .unsupportedVersion,
                    "this bundle uses format version \(found); this node reads version \(version): update Waypost")
            }
            guard found == version else {
                throw BundleError(
                    .unsupportedVersion,
                    "this bundle uses format version \(found), which is neither signed nor encrypted and is no longer accepted; ask the sender to export it again")
            }
            let count = try reader.readVarint()
            guard count >= 1, count <= UInt64(maximumRecipients) else {
                throw BundleError(.malformed, "the bundle is malformed: it names \(count) recipients")
            }
            var recipients: [(NodeID, Range<Int>)] = []
            for _ in 0..<count {
                let node = NodeID(bytes: try reader.readBytes(32))
                let start = reader.offset
                _ = try reader.readBytes(slotLength)
                recipients.append((node, start..<reader.offset))
            }
            return Container(recipients: recipients, streamStart: reader.offset)
        } catch let error as BundleError {
            throw error
        } catch {
            throw BundleError(.truncated, "the bundle is incomplete (\(bytes.count) bytes): it was cut short while copying; copy it again")
        }
    }

    private static func signedDigest(recipients: [NodeID], stream: [UInt8]) -> [UInt8] {
        var hasher = Blake2b(outputLength: 32)
        hasher.update(domain)
        hasher.update([UInt8(version >> 8), UInt8(version & 0xFF)])
        for recipient in recipients { hasher.update(recipient.bytes) }
        hasher.update(stream)
        return hasher.finalize()
    }
}
