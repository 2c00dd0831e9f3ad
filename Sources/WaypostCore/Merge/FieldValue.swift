/// What a field shows, computed from its live values according to its merge kind.
public enum FieldValue: Sendable, Hashable {
    /// A register: the values not overwritten, the shown one first. More than one is a conflict.
    case register([LiveValue])
    /// A set: its elements, sorted.
    case set([String])
    /// A counter: the sum of every increment.
    case counter(Int64)
    /// A log: its entries, oldest first.
    case log([LiveValue])
    /// Entries: for each entry key, each field's register values.
    case entries([EntryKey: [String: [LiveValue]]])

    /// Computes the shown state of a register, set, counter or log from its live values.
    public static func render(_ kind: FieldKind, _ live: [LiveValue]) -> FieldValue {
        switch kind {
        case .register, .entries:
            return .register(live.sorted(by: LiveValue.showsBefore))
        case .set:
            // Canonically equivalent spellings ("é" and "e" + U+0301) are one element, as String's `==` says;
            // the spelling of the smallest dot is shown, so that every node shows the same bytes.
            var seen: Set<String> = []
            let elements = live.sorted { $0.dot < $1.dot }.map(\.value).filter { seen.insert($0).inserted }
            return .set(elements.sorted())
        case .counter:
            return .counter(live.reduce(Int64(0)) { $0 &+ (Int64($1.value) ?? 0) })
        case .log:
            return .log(live.sorted(by: LiveValue.logOrder))
        }
    }

    /// The shown register value (empty when cleared or never written).
    public static func shown(_ values: [LiveValue]) -> String? {
        guard let first = values.first, !first.value.isEmpty else { return nil }
        return first.value
    }
}
