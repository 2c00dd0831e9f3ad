import ArgumentParser
import Foundation
import WaypostBundle
import WaypostCore
import WaypostCrypto
import WaypostNode
import WaypostStore
import WaypostSync

/// Turns every error into one line on stderr and an exit code, as the README's table lists:
/// 1 for a failure, 3 for something not found, 4 for invalid input, 5 for a refused bundle,
/// 6 for a full disk, 7 for a wrong passphrase.
enum Failure {
    /// Runs `body`; on error prints `waypost: MESSAGE` to stderr and exits with the error's code.
    static func report<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as ExitCode {
            throw error
        } catch let error as CoreError {
            throw fail(error.message, code: 4)
        } catch let error as StoreError {
            throw fail(error.message, code: exitCode(error.code))
        } catch let error as NodeError {
            if let cause = error.cause as? StoreError, cause.code != .database {
                throw fail(error.message, code: cause.code == .invalid ? 5 : exitCode(cause.code))
            }
            switch error.code {
            case .noNode: throw fail(error.message, code: 3)
            case .bundle, .untrusted, .backup: throw fail(error.message, code: 5)
            case .invalidName, .invalidDirective: throw fail(error.message, code: 4)
            case .wrongPassphrase, .locked: throw fail(error.message, code: 7)
            default: throw fail(error.message, code: 1)
            }
        } catch let error as CryptoError {
            throw fail(error.message, code: error.code == .wrongPassphrase ? 7 : 1)
        } catch let error as SyncError {
            throw fail(error.message, code: error.code == .invalidAddress ? 4 : 1)
        } catch {
            throw fail("\(error)", code: 1)
        }
    }

    private static func exitCode(_ code: StoreError.Code) -> Int32 {
        switch code {
        case .notFound: 3
        case .invalid, .ambiguous, .alreadyExists: 4
        case .diskFull: 6
        case .untrusted, .forged: 5
        case .locked: 7
        case .tooNew, .database, .damaged, .tampered, .restored: 1
        }
    }

    /// The exit code to throw for a failed `serve` or `sync`: 5 when the other side or this one refused
    /// (untrusted, wrong node, broken protocol), 8 when the link could not be opened or dropped.
    static func forSync(_ error: any Error) -> any Error {
        switch error {
        case let error as SyncError:
            switch error.code {
            case .connection, .timeout: return fail(error.message, code: 8)
            case .invalidAddress: return fail(error.message, code: 4)
            default: return fail(error.message, code: 5)
            }
        case let error as ExitCode: return error
        default:
            do { return try report { throw error } } catch { return error }
        }
    }

    /// Prints the message and returns the exit code to throw.
    static func fail(_ message: String, code: Int32) -> ExitCode {
        FileHandle.standardError.write(Data(("waypost: " + message + "\n").utf8))
        return ExitCode(code)
    }
}
