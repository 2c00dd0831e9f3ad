#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
import Synchronization

/// Keeps the memory pages that hold secrets out of swap (`mlock(2)`), for ``SecretBytes``.
///
/// Secrets are small and many (a record key per record a transaction touches), so they live in ordinary
/// heap memory, several to a page, rather than one `sodium_malloc` mapping each (four pages and three
/// memory mappings per key would exhaust `vm.max_map_count` on a large merge). Page locks do not nest:
/// one `munlock` unlocks a page whatever number of `mlock` calls locked it. So each page's secrets are
/// counted, the page is locked when its first secret arrives and unlocked when its last one leaves.
/// Plain `munlock` is used, not `sodium_munlock`, which would zero the whole page, other objects and all.
///
/// Locking can fail, for example when `RLIMIT_MEMLOCK` is reached (8 MiB by default on Linux; a
/// process with `CAP_IPC_LOCK` has no limit). A secret whose page could not be locked still works and is
/// still zeroed when released; it may reach swap. Nothing is printed: a failure says nothing secret,
/// but a command's output is not the place for it (``SecretBytes/isLocked`` tells a caller who asks).
enum MemoryLock {
    /// The system's page size.
    static let pageSize = max(Int(sysconf(Int32(_SC_PAGESIZE))), 4096)

    /// Per page (its address): how many secrets it holds, and whether its lock succeeded.
    private static let pages = Mutex<[UInt: (secrets: Int, locked: Bool)]>([:])

    /// Locks the pages under `count` bytes from `base`, counting one more secret on each.
    ///
    /// - Returns: whether every page is locked.
    static func lock(_ base: UnsafeRawPointer, count: Int) -> Bool {
        guard count > 0 else { return true }
        return pages.withLock { pages in
            var all = true
            for page in Self.pages(under: base, count: count) {
                var entry = pages[page] ?? (0, false)
                if entry.secrets == 0 {
                    entry.locked = mlock(UnsafeRawPointer(bitPattern: page), pageSize) == 0
                }
                entry.secrets += 1
                pages[page] = entry
                all = all && entry.locked
            }
            return all
        }
    }

    /// Counts one secret fewer on the pages under `count` bytes from `base`, and unlocks those that hold
    /// none any more. Call it once for each ``lock(_:count:)``, after the secret was zeroed.
    static func unlock(_ base: UnsafeRawPointer, count: Int) {
        guard count > 0 else { return }
        pages.withLock { pages in
            for page in Self.pages(under: base, count: count) {
                guard var entry = pages[page] else { continue }
                entry.secrets -= 1
                if entry.secrets > 0 {
                    pages[page] = entry
                } else {
                    if entry.locked { _ = munlock(UnsafeRawPointer(bitPattern: page), pageSize) }
                    pages[page] = nil
                }
            }
        }
    }

    /// The addresses of the pages that `count` bytes from `base` touch.
    private static func pages(under base: UnsafeRawPointer, count: Int) -> StrideThrough<UInt> {
        let mask = ~UInt(pageSize - 1)
        let first = UInt(bitPattern: base) & mask
        let last = (UInt(bitPattern: base) + UInt(count) - 1) & mask
        return stride(from: first, through: last, by: pageSize)
    }
}
