/// The JSON and text forms of a Happy Eyeballs race (docs/trace.md, "Races").
extension TraceRace {
    public func json(lessons: [TraceLesson]) -> JSON {
        let start = startNs
        return .object([
            ("schema", .string(JSONSchemaID.traceEvent)),
            ("event", "race"),
            ("group", .number(group)),
            ("time_ns", .number(start)),
            ("pid", .number(pid)),
            ("comm", .string(comm)),
            ("port", .number(port.value)),
            ("winner", .optional(winningFamily)),
            ("attempts", .array(attempts.map { attempt in
                .object([
                    ("cookie", .number(attempt.cookie)),
                    ("family", .string(attempt.isIPv6 ? "ipv6" : "ipv4")),
                    ("address", .string(attempt.remote.address.description)),
                    ("started_after_ns", .number(attempt.startNs &- start)),
                    ("outcome", .optional(attempt.outcome?.kind.rawValue)),
                    ("elapsed_ns", .optional(attempt.outcome?.elapsedNs)),
                    ("error", .optional(attempt.outcome?.error?.name)),
                ])
            })),
            ("verdict", .string(verdict)),
            ("listener", winnerListener.map(\.json) ?? .null),
            ("other_listeners", .array(otherPrograms.map(\.json))),
            ("lessons", .array(lessons.map { .object([("lesson", .string($0.rawValue)), ("text", .string($0.text))]) })),
        ])
    }
}

extension TraceListener {
    var json: JSON {
        .object([("address", .string(local.address.description)), ("port", .number(local.port.value)),
                 ("pid", .optional(pid)), ("comm", .optional(comm))])
    }
}

extension TraceRenderer {
    /// The race as an indented block: a headline, one line per attempt, the verdict, its lessons.
    public func render(_ race: TraceRace, lessons: [TraceLesson]) -> String {
        let start = race.startNs
        var lines = [style.bold("  Happy Eyeballs race \(race.group): \(PrintableText.of(race.comm)) (pid \(race.pid)) to port \(race.port.value), "
            + (race.winner.map { "\($0.familyName) won" } ?? "no family won"))]
        let width = race.attempts.map { $0.remote.description.count }.max() ?? 0
        for attempt in race.attempts {
            var text = "    " + attempt.remote.description + String(repeating: " ", count: width - attempt.remote.description.count) + "  "
            if let outcome = attempt.outcome {
                text += outcome.kind.rawValue + " " + outcomeText(outcome)
            } else {
                text += "no outcome yet"
            }
            if attempt.startNs > start { text += ", started \(TraceOutcome.duration(attempt.startNs - start)) after the first" }
            lines.append(text)
        }
        lines.append("    " + race.verdict)
        for lesson in lessons { lines.append(style.yellow("  ! " + lesson.text)) }
        return lines.joined(separator: "\n") + "\n"
    }
}
