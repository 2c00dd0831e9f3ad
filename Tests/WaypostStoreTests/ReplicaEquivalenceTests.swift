import Foundation
import Testing
@testable import WaypostCore
@testable import WaypostStore

/// The SQLite replica is held to the merge rules of ``WaypostCore/ReplicaModel``: three nodes, each
/// with a replica on disk and a model shadow that receives every change the replica receives, make
/// random edits and exchange changes in random orders, with repeats, gaps and partial deliveries.
@Suite struct ReplicaEquivalenceTests {
    /// After every local write and every delivery the replica's canonical export equals its shadow's;
    /// once everything is exchanged, every replica shows the same bytes.
    @Test(arguments: 0..<50 as Range<UInt64>)
    func replicasFollowTheModelAndConverge(seed: UInt64) throws {
        try withTemporaryDirectory { directory in
            var network = try ReplicaNetwork(seed: seed, directory: directory)
            try network.run(steps: 30)
            try network.exchangeEverything()
            try network.expectConverged()
        }
    }

    /// The random runs do reach the paths they are meant to test: refused writes, repeats, gaps and
    /// conflicts, over all the seeds together.
    @Test func randomRunsExerciseRefusalsRepeatsGapsAndConflicts() throws {
        var refused = 0, duplicates = 0, heldBack = 0, conflicts = 0
        for seed in 100..<UInt64(106) {
            try withTemporaryDirectory { directory in
                var network = try ReplicaNetwork(seed: seed, directory: directory)
                try network.run(steps: 30)
                try network.exchangeEverything()
                refused += network.refusedWrites
                duplicates += network.duplicates
                heldBack += network.heldBack
                conflicts += try network.nodes[0].replica.conflicts().count
            }
        }
        #expect(refused > 0)
        #expect(duplicates > 0)
        #expect(heldBack > 0)
        #expect(conflicts > 0)
    }
}
