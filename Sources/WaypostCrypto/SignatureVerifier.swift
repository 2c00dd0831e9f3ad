import CSodium
public import WaypostCore

/// Checks Ed25519 detached signatures (`crypto_sign_verify_detached`,
/// https://doc.libsodium.org/public-key_cryptography/public-key_signatures#detached-mode).
///
/// libsodium rejects non-canonical signatures and small-order public keys, so a signature that verifies
/// here was made by the holder of the node's secret key over exactly these bytes.
public enum SignatureVerifier {
    /// Whether `signature` is `publicKey`'s signature of `message`.
    ///
    /// A signature of the wrong size is simply not valid: the result is `false`, never a crash.
    public static func isValid(_ signature: [UInt8], of message: [UInt8], by publicKey: NodeID) -> Bool {
        guard (try? Sodium.ready()) != nil else { return false }
        guard signature.count == SigningKeyPair.signatureByteCount,
            publicKey.bytes.count == Int(crypto_sign_publickeybytes())
        else { return false }
        return crypto_sign_verify_detached(signature, message, UInt64(message.count), publicKey.bytes) == 0
    }
}
