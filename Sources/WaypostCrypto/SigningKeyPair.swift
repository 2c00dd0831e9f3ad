import CSodium
public import WaypostCore

/// A node's Ed25519 key pair (libsodium `crypto_sign`, https://doc.libsodium.org/public-key_cryptography/public-key_signatures):
/// the public key is the node's id; the secret key will sign its changes.
public struct SigningKeyPair: Sendable {
    /// The public key, which is the node id.
    public let publicKey: NodeID
    /// The 64-byte libsodium secret key (seed followed by public key).
    public let secretKey: SecretBytes

    /// A new random key pair.
    public static func generate() throws(CryptoError) -> SigningKeyPair {
        try Sodium.ready()
        var publicKey = [UInt8](repeating: 0, count: Int(crypto_sign_publickeybytes()))
        var secretKey = [UInt8](repeating: 0, count: Int(crypto_sign_secretkeybytes()))
        crypto_sign_keypair(&publicKey, &secretKey)
        let pair = SigningKeyPair(publicKey: NodeID(bytes: publicKey), secretKey: SecretBytes(secretKey))
        secretKey.withUnsafeMutableBytes { sodium_memzero($0.baseAddress, $0.count) }
        return pair
    }

    /// The key pair whose 64-byte secret key this is (as ``secretKey`` holds it).
    ///
    /// - Throws: ``CryptoError`` `malformedKey` if the bytes are not a consistent Ed25519 secret key.
    public init(secretKey bytes: [UInt8]) throws(CryptoError) {
        try Sodium.ready()
        guard bytes.count == Int(crypto_sign_secretkeybytes()) else {
            throw CryptoError(.malformedKey, "the key file holds \(bytes.count) bytes, not an Ed25519 secret key")
        }
        var derived = [UInt8](repeating: 0, count: Int(crypto_sign_publickeybytes()))
        crypto_sign_ed25519_sk_to_pk(&derived, bytes)
        guard Array(bytes[32..<64]) == derived else {
            throw CryptoError(.malformedKey, "the key file is damaged: its public half does not match its secret half")
        }
        self.init(publicKey: NodeID(bytes: derived), secretKey: SecretBytes(bytes))
    }

    private init(publicKey: NodeID, secretKey: SecretBytes) {
        self.publicKey = publicKey
        self.secretKey = secretKey
    }

    /// The secret key's bytes, for writing to the key file.
    public var secretKeyBytes: [UInt8] { secretKey.withUnsafeBytes { Array($0) } }
}
