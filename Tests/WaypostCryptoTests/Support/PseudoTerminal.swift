#if os(Linux)
    import Foundation
    import Glibc
    import Synchronization

    /// A Linux pseudo-terminal for testing code that talks to `/dev/tty`: the test plays the person at the
    /// keyboard on the master side, the code under test opens ``path``.
    ///
    /// Made from `/dev/ptmx` with the ioctls `posix_openpt`, `unlockpt` and `ptsname` use, because Swift's
    /// Glibc module does not export those functions.
    final class PseudoTerminal {
        /// The master side: what is written here is typed, what is read here was shown.
        let master: Int32
        /// The terminal device, `/dev/pts/N`.
        let path: String
        /// Our own descriptor on the terminal, kept so it stays open and its settings can be read.
        private let observer: Int32

        // asm-generic/ioctls.h: _IOW('T', 0x31, int) and _IOR('T', 0x30, unsigned int).
        private static let unlockRequest: UInt = 0x4004_5431
        private static let numberRequest: UInt = 0x8004_5430

        /// Whether this machine can make pseudo-terminals (a container may have no `/dev/pts`).
        static var isAvailable: Bool { (try? PseudoTerminal()) != nil }

        struct Unavailable: Error {}

        init() throws {
            master = open("/dev/ptmx", O_RDWR | O_NOCTTY)
            guard master >= 0 else { throw Unavailable() }
            var unlock: Int32 = 0
            var number: Int32 = -1
            guard ioctl(master, Self.unlockRequest, &unlock) == 0, ioctl(master, Self.numberRequest, &number) == 0
            else {
                close(master)
                throw Unavailable()
            }
            path = "/dev/pts/\(number)"
            observer = open(path, O_RDWR | O_NOCTTY)
            guard observer >= 0 else {
                close(master)
                throw Unavailable()
            }
        }

        deinit {
            close(observer)
            close(master)
        }

        /// The terminal's current settings.
        var settings: termios {
            var settings = termios()
            _ = tcgetattr(observer, &settings)
            return settings
        }

        /// Runs `body` (which reads from the terminal) on this thread while another thread waits for
        /// `prompt` to show, types `input`, and collects what the terminal shows for a moment after.
        ///
        /// The typist types even if the prompt never shows, so `body` cannot wait for ever.
        func type<T>(_ input: [UInt8], after prompt: String, while body: () -> T) -> (result: T, shown: String) {
            let shown = Mutex<[UInt8]>([])
            let finished = DispatchSemaphore(value: 0)
            let master = master
            let typist = Thread {
                defer { finished.signal() }
                var seen: [UInt8] = []
                let deadline = Date().addingTimeInterval(10)
                while !String(decoding: seen, as: UTF8.self).contains(prompt) && Date() < deadline {
                    seen += Self.readAvailable(from: master, waitingMilliseconds: 100)
                }
                _ = input.withUnsafeBytes { write(master, $0.baseAddress, $0.count) }
                let quiet = Date().addingTimeInterval(0.3)
                while Date() < quiet { seen += Self.readAvailable(from: master, waitingMilliseconds: 50) }
                shown.withLock { $0 = seen }
            }
            typist.start()
            let result = body()
            finished.wait()
            return (result, String(decoding: shown.withLock { $0 }, as: UTF8.self))
        }

        private static func readAvailable(from descriptor: Int32, waitingMilliseconds: Int32) -> [UInt8] {
            var request = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            guard poll(&request, 1, waitingMilliseconds) > 0 else { return [] }
            var buffer = [UInt8](repeating: 0, count: 256)
            let count = read(descriptor, &buffer, buffer.count)
            return count > 0 ? Array(buffer[..<count]) : []
        }
    }
#endif
