import ArgumentParser
import WaypostCore
import WaypostNode
import WaypostStore

/// `waypost case ...`.
struct CaseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "case", abstract: "Create, change and inspect case files.",
        subcommands: [
            RecordAdd<CaseMarker>.self, RecordSet<CaseMarker>.self, CaseNote.self, CaseConsent.self, CaseEntry.self,
            RecordShow<CaseMarker>.self, RecordList<CaseMarker>.self, CaseErase.self,
        ])
}

/// `waypost service ...`.
struct ServiceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "service", abstract: "Create, change and inspect the service directory.",
        subcommands: [
            RecordAdd<ServiceMarker>.self, RecordSet<ServiceMarker>.self, RecordShow<ServiceMarker>.self,
            RecordList<ServiceMarker>.self,
        ])
}

/// `waypost case note ID TEXT`.
struct CaseNote: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "note", abstract: "Append a note to a case (notes are never overwritten).")

    @OptionGroup var node: NodeOptions
    @Argument(help: "The case's id (its first characters are enough).") var id: String
    @Argument(help: "The note's text.") var text: String

    func run() throws {
        let (opened, keys, _) = try node.openNodeWithKeys()
        try Failure.report {
            let record = try opened.replica.findRecord(.caseFile, prefix: id)
            let path = try opened.replica.schema[.caseFile].resolve("notes")
            guard !text.isEmpty else { throw CoreError(.invalidValue, "an empty note says nothing") }
            let edit = Edit(path: path, action: .append(try path.type.canonical(text, field: "notes")))
            _ = try opened.replica.update(.caseFile, record, edits: [edit], signer: keys)
        }
        print("note added")
    }
}

/// `waypost case consent ID --purpose TEXT --given yes|no [--recorded-by NAME]`.
struct CaseConsent: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "consent", abstract: "Record a consent decision on a case (consent records are never overwritten).")

    @OptionGroup var node: NodeOptions
    @Argument(help: "The case's id (its first characters are enough).") var id: String
    @Option(help: "What the consent is for (e.g. data sharing with partner agencies).") var purpose: String
    @Option(help: "yes or no.") var given: String
    @Option(help: "Who recorded it. Default: this node's name.") var recordedBy: String?

    func run() throws {
        let (opened, keys, _) = try node.openNodeWithKeys()
        try Failure.report {
            let record = try opened.replica.findRecord(.caseFile, prefix: id)
            let path = try opened.replica.schema[.caseFile].resolve("consent")
            let entry = try Schema.structuredEntry(
                for: path.field,
                parts: ["purpose": purpose, "given": given, "recorded_by": try recordedBy ?? opened.replica.name()])
            _ = try opened.replica.update(.caseFile, record, edits: [Edit(path: path, action: .append(entry))], signer: keys)
        }
        print("consent recorded")
    }
}

/// `waypost case entry ID household|referrals FIELD=VALUE...`.
struct CaseEntry: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "entry", abstract: "Add an entry (a household member, a referral) to a case and print its key.",
        discussion: """
            This is the only way to make a new entry. Change an entry later with \
            'waypost case set ID household.KEY.FIELD=VALUE', where KEY is the entry's key or its first \
            characters; a key that names no entry of the case, or several, is refused with the case's entries. \
            Remove one with 'waypost case entry ID household --remove KEY'.
            household: relationship, given_name, family_name, date_of_birth, sex
            referrals: service, status (requested, accepted, rejected, done), note
            """)

    @OptionGroup var node: NodeOptions
    @Argument(help: "The case's id (its first characters are enough).") var id: String
    @Argument(help: "household or referrals.") var field: String
    @Argument(help: "FIELD=VALUE for the entry's fields.") var edits: [String] = []
    @Option(help: "Remove the entry with this key (or its first characters) instead: its fields are cleared.")
    var remove: String?

    func validate() throws {
        guard edits.isEmpty != (remove == nil) else {
            throw ValidationError("give the new entry's FIELD=VALUE pairs, or --remove KEY, not both")
        }
    }

    func run() throws {
        let (opened, keys, _) = try node.openNodeWithKeys()
        if let remove {
            let removed = try Failure.report {
                let record = try opened.replica.findRecord(.caseFile, prefix: id)
                return try opened.replica.removeEntry(
                    .caseFile, record, field: field, key: try EntryKey(parsing: remove), signer: keys)
            }
            print(removed.changes.isEmpty ? "\(field) entry \(removed.key) had no value left" : "removed \(field) entry \(removed.key)")
            return
        }
        let key = EntryKey.random()
        try Failure.report {
            let record = try opened.replica.findRecord(.caseFile, prefix: id)
            let schema = opened.replica.schema[.caseFile]
            let parsed = try edits.map { text throws(CoreError) in try Edit(parsing: "\(field).\(key.text).\(text)", in: schema) }
            _ = try opened.replica.update(.caseFile, record, edits: parsed, addingEntry: key, signer: keys)
        }
        print(key)
    }
}
