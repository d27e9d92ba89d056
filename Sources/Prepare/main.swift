import ArgumentParser
import Foundation
import Pipeline
import Preparation

/// `Prepare`: images -> HDF5 patch shards (see README, "Prepare").
struct Prepare: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Decode images or IDX files into HDF5 patch shards with labels, split and statistics.")

    @Option(name: .shortAndLong, help: "Pipeline file.")
    var config: String = "pipelines/default.yaml"

    @Option(name: .customLong("set"), help: "Override a config value: key=value (repeatable).")
    var overrides: [String] = []

    @Option(help: "Artifact root folder.")
    var artifacts: String = "artifacts"

    @Flag(help: "Recompute even when an up-to-date artifact exists.")
    var force = false

    @Flag(help: "Print only the artifact key this config maps to, and do nothing else.")
    var printKey = false

    @Flag(help: "Print every pipeline config key with its default and meaning (markdown), and exit.")
    var listKeys = false

    func run() throws {
        if listKeys {
            print(PipelineSchema.markdownTable)
            return
        }
        do {
            let cfg = try PipelineConfig.load(path: config, overrides: overrides)
            let store = ArtifactStore(root: artifacts)
            if printKey {
                print(try PrepareStage.keyMaterial(cfg, store: store).key)
                return
            }
            let outcome = try PrepareStage.run(cfg, store: store, force: force)
            print(outcome.directory)
        } catch {
            Console.fail("prepare", error)
        }
    }
}

Prepare.main()
