import WaypostStore

/// What `bundle import` and `sync` say about the directives and revoked nodes' changes they met.
enum DirectiveLines {
    /// The lines for an import's report.
    static func lines(_ report: ApplyReport) -> [String] {
        lines(
            stored: report.directivesStored, refused: report.directivesRefused,
            refusedBeyondRevocation: report.refusedBeyondRevocation)
            + erasureLines(erased: report.erasedRecords, dropped: report.droppedForErasure)
    }

    /// The lines for records erased and for changes to erased records whose values were dropped on arrival.
    static func erasureLines(erased: Int, dropped: Int) -> [String] {
        var lines: [String] = []
        if erased > 0 { lines.append("erased \(erased) record\(erased == 1 ? "" : "s"), as an admin's erase directive asks") }
        if dropped > 0 {
            lines.append("dropped the values of \(dropped) change\(dropped == 1 ? "" : "s") to erased records (kept only for the history)")
        }
        return lines
    }

    /// The lines for counts of directives stored and refused, and of changes refused after a revocation.
    static func lines(stored: Int, refused: Int, refusedBeyondRevocation: Int) -> [String] {
        var lines: [String] = []
        if stored > 0 { lines.append("stored \(stored) admin directive\(stored == 1 ? "" : "s") (see 'waypost status')") }
        if refused > 0 {
            lines.append(
                "warning: refused \(refused) directive\(refused == 1 ? "" : "s") from non-admins (their issuer is not an admin here)")
        }
        if refusedBeyondRevocation > 0 {
            lines.append(
                "refused \(refusedBeyondRevocation) change\(refusedBeyondRevocation == 1 ? "" : "s") of revoked nodes, "
                    + "after their last accepted one")
        }
        return lines
    }
}
