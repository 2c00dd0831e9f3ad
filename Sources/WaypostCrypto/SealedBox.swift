import CSodium
public import WaypostCore

/// Anonymous public-key encryption to a node (`crypto_box_seal`,
/// https://doc.libsodium.org/public-key_cryptography/sealed_boxes): anyone who knows a node's id can seal a
/// message that only that node can open, and the message does not say who sealed it.
///
/// A node has one key pair, Ed25519, whose public key is its ``NodeID``. Sealing converts it to the X25519
/// key `crypto_box` needs (`crypto_sign_ed25519_pk_to_curve25519`); opening converts the secret key
/// likewise (`crypto_sign_ed25519_sk_to_curve25519`), as libsodium documents in
/// https://doc.libsodium.org/advanced/ed25519-curve25519. A sealed message is 48 bytes longer than its
/// plaintext: an ephemeral X25519 public key (32) and a Poly1305 tag (16). It is not signed: who sent it must
/// be established some other way, for example with ``SigningKeyPair/sign(_:)`` inside the plaintext.
public enum SealedBox {
    /// The bytes a sealed message adds to its plaintext (`crypto_box_SEALBYTES`).
    public static let overhead = 48

    /// Seals `plaintext` so that only `recipient` can open it.
    ///
    /// - Throws: ``CryptoError`` `malformedKey` if `recipient` is not a usable Ed25519 public key (for
    ///   example an id typed by hand that passes its check characters but is not a point on the curve).
    public static func seal(_ plaintext: [UInt8], to recipient: NodeID) throws(CryptoError) -> [UInt8] {
        try Sodium.ready()
        let curvePublic = try curvePublicKey(of: recipient)
        var sealed = [UInt8](repeating: 0, count: plaintext.count + overhead)
        guard crypto_box_seal(&sealed, plaintext, UInt64(plaintext.count), curvePublic) == 0 else {
            throw CryptoError(
                .malformedKey, "cannot seal a message to node \(recipient.short): its id is not a usable public key")
        }
        return sealed
    }

    /// Opens a message sealed to `keys`' node.
    ///
    /// The X25519 secret key derived for this is zeroed before returning.
    ///
    /// - Throws: ``CryptoError`` `malformed` if `sealed` is shorter than any sealed message;
    ///   `authenticationFailed` if it was sealed to another node or changed on the way.
    public static func open(_ sealed: [UInt8], with keys: SigningKeyPair) throws(CryptoError) -> [UInt8] {
        try Sodium.ready()
        guard sealed.count >= overhead else {
            throw CryptoError(
                .malformed,
                "the sealed message is \(sealed.count) bytes, shorter than the \(overhead) every sealed message has: "
                    + "it was cut short; ask the sender to send it again")
        }
        let curvePublic = try curvePublicKey(of: keys.publicKey)
        var curveSecret = [UInt8](repeating: 0, count: Int(crypto_box_secretkeybytes()))
        defer { Sodium.wipe(&curveSecret) }
        let converted = keys.secretKey.withUnsafeUInt8Pointer { secret in
            crypto_sign_ed25519_sk_to_curve25519(&curveSecret, secret)
        }
        guard converted == 0 else {
            throw CryptoError(.malformedKey, "this node's secret key cannot be converted for opening sealed messages")
        }
        var plaintext = [UInt8](repeating: 0, count: sealed.count - overhead)
        guard crypto_box_seal_open(&plaintext, sealed, UInt64(sealed.count), curvePublic, curveSecret) == 0 else {
            throw CryptoError(
                .authenticationFailed,
                "the sealed message does not open with node \(keys.publicKey.short)'s key: it was sealed to another "
                    + "node, or changed on the way; ask the sender to seal it again to this node's id")
        }
        return plaintext
    }

    private static func curvePublicKey(of node: NodeID) throws(CryptoError) -> [UInt8] {
        var curvePublic = [UInt8](repeating: 0, count: Int(crypto_box_publickeybytes()))
        guard crypto_sign_ed25519_pk_to_curve25519(&curvePublic, node.bytes) == 0 else {
            throw CryptoError(
                .malformedKey,
                "node id \(node.short) is not a usable Ed25519 public key, so nothing can be sealed to it or opened "
                    + "with it; check that the id was copied correctly")
        }
        return curvePublic
    }
}
