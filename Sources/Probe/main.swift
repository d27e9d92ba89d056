import ArgumentParser
import Foundation
import Pipeline
import Probing
import StageCLI

/// `Probe`: linear and k-NN probes of the pretrained target encoder, raw
/// pixels and the untrained encoder, on the same pipeline's artifacts.
struct Probe: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Evaluate frozen I-JEPA features with linear and k-NN probes, next to raw-pixel and random-init baselines.",
        discussion: StageOptions.exitCodes, version: BuildInfo.line)

    @OptionGroup var options: StageOptions

    func run() throws {
        do {
            if try options.printInformation() { return }
            let outcome = try ProbeStage.run(try options.loadConfig(), store: options.store, force: options.force)
            print(outcome.directory)
        } catch {
            throw failure("probe", error)
        }
    }
}

Probe.main()
