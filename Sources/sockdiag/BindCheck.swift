import SockdiagCore

func runBindCheck(_ arguments: ParsedArguments, _ terminal: Terminal) throws -> ExitStatus {
    throw SockdiagError.invalidInput("not implemented yet")
}
