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
}
