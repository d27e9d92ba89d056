import ArgumentParser
import Foundation
import Pipeline
import StageCLI
import Preparation

/// `Prepare`: images -> HDF5 patch shards (see docs/stages.md, "Prepare").
struct Prepare: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Decode images or IDX files into HDF5 patch shards with labels, split and statistics.",
        discussion: StageOptions.exitCodes, version: BuildInfo.line)

    @OptionGroup var options: StageOptions

    @Flag(help: "Print only the artifact key this config maps to, and do nothing else.")
    var printKey = false

    func run() throws {
        do {
            if try options.printInformation() { return }
            let cfg = try options.loadConfig()
            let store = options.store
            if printKey {
                print(try PrepareStage.keyMaterial(cfg, store: store).key)
                return
            }
            let outcome = try PrepareStage.run(cfg, store: store, force: options.force)
            print(outcome.directory)
        } catch {
            throw failure("prepare", error)
        }
    }
}

Prepare.main()
