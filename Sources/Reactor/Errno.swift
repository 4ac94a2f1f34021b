// errno values as a type (swift-system's `Errno` shape, written here: the package would cost idle memory
// for the few names we use). Only the values some code above the Reactor handles by name are listed;
// anything else still travels as an Errno and prints as strerror's text.
import Glibc

public struct Errno: RawRepresentable, Error, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: Int32
    @inline(__always) public init(rawValue: Int32) { self.rawValue = rawValue }

    /// The calling thread's errno right after a failed call. Only the Reactor reads it.
    @inline(__always) static var current: Errno { Errno(rawValue: Glibc.errno) }

    /// strerror's text ("Connection refused").
    public var description: String { String(cString: strerror(rawValue)) }

    /// EAGAIN (== EWOULDBLOCK on Linux): a non-blocking call found nothing to do; wait for readiness.
    public static let wouldBlock = Errno(rawValue: EAGAIN)
    /// EINTR: a signal arrived during a blocking call; the Reactor's wrappers retry it.
    public static let interrupted = Errno(rawValue: EINTR)
    public static let badFileDescriptor = Errno(rawValue: EBADF)
    public static let ioError = Errno(rawValue: EIO)
    public static let brokenPipe = Errno(rawValue: EPIPE)
    public static let protocolError = Errno(rawValue: EPROTO)
    public static let connectionRefused = Errno(rawValue: ECONNREFUSED)
    public static let connectionAborted = Errno(rawValue: ECONNABORTED)
    public static let connectionReset = Errno(rawValue: ECONNRESET)
    public static let notConnected = Errno(rawValue: ENOTCONN)
    public static let timedOut = Errno(rawValue: ETIMEDOUT)
    public static let noSuchFileOrDirectory = Errno(rawValue: ENOENT)
    public static let notDirectory = Errno(rawValue: ENOTDIR)
    public static let permissionDenied = Errno(rawValue: EACCES)
    public static let notPermitted = Errno(rawValue: EPERM)
    public static let fileTooLarge = Errno(rawValue: EFBIG)
    public static let nameTooLong = Errno(rawValue: ENAMETOOLONG)
    public static let invalidArgument = Errno(rawValue: EINVAL)
    /// EMFILE / ENFILE: the process's or the system's descriptor table is full.
    public static let tooManyOpenFiles = Errno(rawValue: EMFILE)
    public static let tooManyOpenFilesInSystem = Errno(rawValue: ENFILE)
    public static let noMemory = Errno(rawValue: ENOMEM)
    public static let noBufferSpace = Errno(rawValue: ENOBUFS)
    public static let notImplemented = Errno(rawValue: ENOSYS)
    public static let canceled = Errno(rawValue: ECANCELED)
}
