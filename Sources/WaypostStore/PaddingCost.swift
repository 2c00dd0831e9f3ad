/// What padding values at rest (`Protocol/replica.md` §9.5) costs a replica: the bytes of its sealed values
/// and record documents as stored, and as they would be unpadded. For the benchmark.
package struct PaddingCost: Sendable {
    /// Sealed change values (`changes.value`) as stored, in bytes.
    package var values = 0
    /// The same values unpadded (UTF-8 and tag, as before padding).
    package var unpaddedValues = 0
    /// Sealed record documents (`shown.doc`) as stored, in bytes.
    package var documents = 0
    /// The same documents encoded and sealed as before padding.
    package var unpaddedDocuments = 0
    /// How many records hold a document.
    package var records = 0

    /// The bytes padding adds in all.
    package var added: Int { values + documents - unpaddedValues - unpaddedDocuments }
}
