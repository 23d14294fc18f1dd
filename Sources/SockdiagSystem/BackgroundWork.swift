#if canImport(Glibc)
import Glibc
#endif

/// What a thread runs; not generic, so a C function pointer can start it.
public class ThreadBody {
    func run() {}
}

/// Runs a closure on a thread of its own, started in the calling thread's network namespace;
/// `wait` joins it and returns its result or throws its error. Without a thread (pthread_create
/// failing), the closure runs in `wait` instead. The one thread helper: bind-check's owner
/// search and compare-wire's two-core reading, join and report all use it.
public final class BackgroundWork<Value, Failure: Error>: ThreadBody, @unchecked Sendable {
    private let work: () throws(Failure) -> Value
    private var result: Result<Value, Failure>?
    private var thread: pthread_t?

    public init(_ work: @escaping () throws(Failure) -> Value) {
        self.work = work
        super.init()
        let context = Unmanaged<ThreadBody>.passRetained(self).toOpaque()
        var thread = pthread_t()
        let status = pthread_create(&thread, nil, { context in
            Unmanaged<ThreadBody>.fromOpaque(context!).takeRetainedValue().run()
            return nil
        }, context)
        if status == 0 {
            self.thread = thread
        } else {
            Unmanaged<ThreadBody>.fromOpaque(context).release()
        }
    }

    override func run() {
        do throws(Failure) { result = .success(try work()) } catch { result = .failure(error) }
    }

    /// The work's result, once; a second call returns it again without joining.
    public func wait() throws(Failure) -> Value {
        if let thread {
            pthread_join(thread, nil)
            self.thread = nil
        } else if case .none = result {
            run()
        }
        return try result!.get()
    }
}
