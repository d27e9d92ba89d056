import ArgumentParser
import Foundation
import Pipeline
import Reporting
import StageCLI

/// `Report`: report.md, results.csv and figures from a pipeline's artifacts,
/// or from every variant of a sweep (`--sweep FILE` without `--variant`).
struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write the markdown report, results CSV and figures of a pipeline or a sweep.")

    @OptionGroup var options: StageOptions

    @Flag(name: .customLong("variant-count"), help: "Print the number of variants of --sweep and exit.")
    var variantCount = false

    @Flag(name: .customLong("gc-list"), help: "List artifact folders that no pipelines/*.yaml or pipelines/sweeps/*.yaml file reaches, and exit.")
    var gcList = false

    @Flag(help: "Re-hash every artifact of the pipeline against its manifest and exit (non-zero when one is damaged).")
    var verify = false

    func run() throws {
        do {
            let store = options.store
            if verify {
                var damaged = 0
                for (stage, key, status) in try ArtifactVerify.check(try options.loadConfig(), store: store) {
                    switch status {
                    case .ok(let n): print("ok       \(stage)/\(key) (\(n) files)")
                    case .notBuilt: print("missing  \(stage)/\(key) (not built yet)")
                    case .damaged(let why):
                        damaged += 1
                        print("DAMAGED  \(stage)/\(key): \(why); remove \(store.directory(stage: stage, key: key)) and run make again")
                    }
                }
                if damaged > 0 { throw PipelineError("\(damaged) damaged artifact(s)") }
                return
            }
            if gcList {
                let (paths, skipped) = ArtifactReach.unreached(pipelineFiles: yamlFiles(in: "pipelines"),
                                                               sweepFiles: yamlFiles(in: "pipelines/sweeps"), store: store)
                for s in skipped { Console.logger("report").warning("not counted: \(s)") }
                paths.forEach { print($0) }
                return
            }
            if let path = options.sweep, options.variant == nil {
                let sweep = try SweepFile.load(path: path)
                if variantCount {
                    try SweepCheck.validate(sweep, overrides: options.overrides)
                    print(sweep.variantCount)
                    return
                }
                print(try ReportStage.run(sweep: sweep, overrides: options.overrides, store: store,
                                          force: options.force).directory + "/report.md")
            } else {
                guard !variantCount else { throw PipelineError("--variant-count: needs --sweep FILE") }
                print(try ReportStage.run(try options.loadConfig(), store: store, force: options.force).directory + "/report.md")
            }
        } catch {
            Console.fail("report", error)
        }
    }
}

func yamlFiles(in dir: String) -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter { $0.hasSuffix(".yaml") }.sorted().map { "\(dir)/\($0)" }
}

Report.main()
