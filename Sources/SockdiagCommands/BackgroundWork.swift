#if canImport(Glibc)
import Glibc
#endif

/// What a thread runs; not generic, so a C function pointer can start it.
class ThreadBody {
    func run() {}
}

/// Runs a closure on its own thread; `wait` joins it and returns its result or rethrows its error.
/// Without a thread (pthread_create failing), the closure runs in `wait` instead.
final class BackgroundWork<Value>: ThreadBody {
    private let work: () throws -> Value
    private var result: Result<Value, Error>?
    private var thread: pthread_t?

    init(_ work: @escaping () throws -> Value) {
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

    override func run() { result = Result { try work() } }

    func wait() throws -> Value {
        if let thread { pthread_join(thread, nil) } else { run() }
        return try result!.get()
    }
}
