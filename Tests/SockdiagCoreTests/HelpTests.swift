import SockdiagCore
import XCTest

final class HelpTests: XCTestCase {
    func testEverySubcommandHelpNamesEachOptionOnce() {
        for spec in CommandCatalog.subcommands {
            let help = HelpRenderer.render(spec)
            for option in spec.options {
                let occurrences = help.components(separatedBy: "--\(option.long) ").count
                    + help.components(separatedBy: "--\(option.long)\n").count - 2
                XCTAssertGreaterThanOrEqual(occurrences, 1, "\(spec.name) help lacks --\(option.long)")
            }
        }
    }

    func testOptionNamesAreUniqueWithinEachSubcommand() {
        for spec in CommandCatalog.subcommands {
            let longs = spec.options.map(\.long)
            XCTAssertEqual(Set(longs).count, longs.count, "\(spec.name) repeats a long option")
            let shorts = spec.options.compactMap(\.short)
            XCTAssertEqual(Set(shorts).count, shorts.count, "\(spec.name) repeats a short option")
        }
    }

    /// Prose wraps at 80 columns with options' help aligned under its first word; only usage and
    /// example command lines, which must stay copyable, may be longer.
    func testHelpProseFitsEightyColumns() {
        for spec in CommandCatalog.subcommands {
            let commands = Set(spec.examples.map { "  " + $0.command })
            for line in HelpRenderer.render(spec).split(separator: "\n") where line.count > 80 {
                let copyable = line.hasPrefix("Usage: ") || line.hasPrefix("       sockdiag ") || commands.contains(String(line))
                XCTAssertTrue(copyable, "\(spec.name): \(line)")
            }
        }
        let redirect = HelpRenderer.render(TraceCommand.spec).split(separator: "\n").drop { !$0.contains("--redirect PORT") }
        XCTAssertTrue(redirect.dropFirst().first?.hasPrefix(String(repeating: " ", count: 33) + "(TCP and UDP)") ?? false,
                      "continuation lines hang under the help's first word")
    }
}
