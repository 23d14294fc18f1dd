import CSockdiagShim

/// SIGINT, SIGTERM and SIGHUP end a run cleanly instead of killing it.
public enum TerminationSignals {
    public static func install() { sockdiag_install_termination_handlers() }

    /// The signal that asked the run to stop, or nil.
    public static var received: Int32? {
        let number = sockdiag_termination_signal()
        return number == 0 ? nil : number
    }
}
