import Foundation
import Testing

@testable import WaypostCrypto

/// A process holding keys dumps no core. Each check runs in a process of its own (an exit test), since
/// the protection cannot be undone.
@Suite struct ProcessProtectionTests {
    @Test("disabling core dumps sets the core file limits to zero and makes the process not dumpable")
    func noCoreDumps() async {
        await #expect(processExitsWith: .success) {
            var unlimited = rlimit(rlim_cur: rlim_t.max, rlim_max: rlim_t.max)
            _ = setrlimit(__rlimit_resource_t(RLIMIT_CORE.rawValue), &unlimited)
            guard ProcessProtection.isDumpable else { exit(2) }
            guard ProcessProtection.disableCoreDumps() else { exit(3) }
            guard !ProcessProtection.isDumpable else { exit(4) }
            // The hard limit is zero too, so the soft one cannot be raised again (without CAP_SYS_RESOURCE).
            guard ProcessProtection.coreFileLimit == (0, 0) else { exit(5) }
            exit(0)
        }
    }
}
