import Foundation
import WaypostCore
import WaypostStore

/// Printing helpers shared by the commands.
enum Output {
    /// Prints a JSON document, indented, with a final newline.
    static func json(_ value: JSONValue) {
        print(value.pretty)
    }

    /// A node id as people see it in text output: the local peer name if there is one.
    static func label(_ node: NodeID, local: NodeID, peers: [PeerRecord]) -> String {
        if node == local { return "this node" }
        if let peer = peers.first(where: { $0.node == node }) { return peer.name }
        return node.short
    }

    /// Milliseconds since the epoch as ISO 8601.
    static func time(_ milliseconds: UInt64?) -> String {
        guard let milliseconds else { return "never" }
        return HybridTimestamp(milliseconds: milliseconds).description
    }

    /// Left-aligns `text` in `width` columns.
    static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
    }
}
