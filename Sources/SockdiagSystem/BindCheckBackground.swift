#if canImport(Glibc)
import Glibc
#endif

/// Prepares the socket owner lookup on its own thread (a BPF program load and a walk of every
/// file table), so it runs while the netlink dump does. The thread starts in the calling
/// thread's network namespace.
public final class BindCheckBackground: @unchecked Sendable {
    public typealias Result = BindCheckInventory?

    private var thread = pthread_t()
    private var work: (() -> Result)?
    private var result: Result = nil
    private var finished = false
    private var started = false

    public init(_ work: @escaping () -> Result) {
        self.work = work
        let context = Unmanaged.passRetained(self).toOpaque()
        started = pthread_create(&thread, nil, { context in
            let me = Unmanaged<BindCheckBackground>.fromOpaque(context!).takeRetainedValue()
            me.result = me.work?() ?? nil
            me.finished = true
            return nil
        }, context) == 0
        if !started {
            Unmanaged<BindCheckBackground>.fromOpaque(context).release()
        }
    }

    /// The work's result; runs it here if no thread could be started.
    public func wait() -> Result {
        if started {
            pthread_join(thread, nil)
            started = false
        } else if !finished, let work {
            result = work()
            finished = true
        }
        return result
    }
}
