public let systemPlaceholder = 0
