import Foundation
import Testing

@testable import WaypostCore
@testable import WaypostStore

/// The SQLite replica is held to the merge rules of ``WaypostCore/ReplicaModel``: three nodes that
/// trust each other, each with a replica on disk and a model shadow that receives every change the
/// replica applies, make random signed edits and exchange signed batches in random orders, with
/// repeats, gaps, cut-off signatures and partial deliveries.
@Suite struct ReplicaEquivalenceTests {
    /// After every local write and every delivery the replica's canonical export equals its shadow's,
    /// and it keeps back exactly the changes its shadow keeps; once everything is exchanged, every
    /// replica shows the same bytes.
    ///
    /// Eight seeds of 25 steps keep the suite to a few seconds; a failing seed replays exactly.
    @Test(arguments: 0..<8 as Range<UInt64>)
    func replicasFollowTheModelAndConverge(seed: UInt64) throws {
        try withTemporaryDirectory { directory in
            var network = try ReplicaNetwork(seed: seed, directory: directory)
            try network.run(steps: 25)
            try network.exchangeEverything()
            try network.expectConverged()
        }
    }

    /// The random runs do reach the paths they are meant to test: refused writes, repeats, changes
    /// kept back and later applied, and conflicts, over all the seeds together.
    @Test func randomRunsExerciseRefusalsRepeatsKeptChangesAndConflicts() throws {
        var refused = 0
        var duplicates = 0
        var heldBack = 0
        var released = 0
        var conflicts = 0
        // Until every kind of event has happened at least once (a few seeds; more when timing makes
        // a seed's partitions less eventful), with a bound so the test still ends.
        for seed in 100..<UInt64(130) where [refused, duplicates, heldBack, released, conflicts].contains(0) {
            try withTemporaryDirectory { directory in
                var network = try ReplicaNetwork(seed: seed, directory: directory)
                try network.run(steps: 25)
                try network.exchangeEverything()
                refused += network.refusedWrites
                duplicates += network.duplicates
                heldBack += network.heldBack
                released += network.released
                conflicts += try network.nodes[0].replica.conflicts().count
            }
        }
        #expect(refused > 0)
        #expect(duplicates > 0)
        #expect(heldBack > 0)
        #expect(released > 0)
        #expect(conflicts > 0)
    }
}
