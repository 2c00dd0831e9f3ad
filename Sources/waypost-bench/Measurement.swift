import Foundation

/// Several timings of one figure: the median, with min and max.
struct Measurement {
    let samples: [Double]

    var median: Double {
        let sorted = samples.sorted()
        return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
    }
    var minimum: Double { samples.min() ?? 0 }
    var maximum: Double { samples.max() ?? 0 }

    /// Runs `reference` and then `body`, `runs` times in turn, and records the seconds each took: a figure
    /// and the ceiling it is compared with, measured side by side so that a shared machine's load, which
    /// changes from minute to minute, weighs on both alike.
    static func interleaved(
        runs: Int, reference: (Int) throws -> Double, _ body: (Int) throws -> Void
    ) rethrows -> (figure: Measurement, reference: Measurement) {
        var figures: [Double] = []
        var references: [Double] = []
        for run in 0..<runs {
            references.append(try reference(run))
            let start = DispatchTime.now().uptimeNanoseconds
            try body(run)
            figures.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        return (Measurement(samples: figures), Measurement(samples: references))
    }

    /// Runs `body` `runs` times and records the seconds each took.
    static func seconds(runs: Int, _ body: (Int) throws -> Void) rethrows -> Measurement {
        var samples: [Double] = []
        for run in 0..<runs {
            let start = DispatchTime.now().uptimeNanoseconds
            try body(run)
            samples.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        return Measurement(samples: samples)
    }
}

/// One row of the report: a figure, what it is compared with, the target and the verdict.
struct Row {
    let number: Int
    let what: String
    let figure: String
    let ceiling: String
    let ratio: Double
    let target: String
    let passes: Bool
    let detail: String
}
