import ArgumentParser
import Foundation
import Pipeline
import Reporting
import StageCLI

/// `Report`: report.md, results.csv and figures from a pipeline's artifacts,
/// from every variant of a sweep (`--sweep FILE` without `--variant`), each at
/// each of its seeds, or from a pipeline's replicates (`--seeds 0,1,2`).
struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write the markdown report, results CSV and figures of a pipeline or a sweep.",
        discussion: StageOptions.exitCodes, version: BuildInfo.line)

    @OptionGroup var options: StageOptions

    func run() throws {
        do {
            if try options.printInformation() { return }
            let store = options.store
            if options.variant == nil, options.seed == nil, let sweep = try options.loadRuns() {
                print(try ReportStage.run(sweep: sweep, overrides: options.overrides, store: store,
                                          force: options.force).directory + "/report.md")
            } else {
                print(try ReportStage.run(try options.loadConfig(), store: store, force: options.force).directory + "/report.md")
            }
        } catch {
            throw failure("report", error)
        }
    }
}

Report.main()
