import Foundation
import XCTest
@testable import Pipeline

/// The official I-JEPA configs (facebookresearch/ijepa, configs/*.yaml) load
/// unchanged. The file below is written here with the keys and values of
/// in1k_vith14_ep300.yaml (all four official configs have these 37 keys),
/// in the official files' order.
final class OfficialConfigTests: XCTestCase {
    static let vith14 = """
    data:
      batch_size: 128
      color_jitter_strength: 0.0
      crop_scale:
      - 0.3
      - 1.0
      crop_size: 224
      image_folder: imagenet_full_size/061417/
      num_workers: 10
      pin_mem: true
      root_path: $replace_this_with_absolute_path_to_your_datasets_directory
      use_color_distortion: false
      use_gaussian_blur: false
      use_horizontal_flip: false
    logging:
      folder: $replace_this_with_path_for_experiment_logs/vith14.224-bs.2048-ep.300/
      write_tag: jepa
    mask:
      allow_overlap: false
      aspect_ratio:
      - 0.75
      - 1.5
      enc_mask_scale:
      - 0.85
      - 1.0
      min_keep: 10
      num_enc_masks: 1
      num_pred_masks: 4
      patch_size: 14
      pred_mask_scale:
      - 0.15
      - 0.2
    meta:
      copy_data: false
      load_checkpoint: false
      model_name: vit_huge
      pred_depth: 12
      pred_emb_dim: 384
      read_checkpoint: null
      use_bfloat16: true
    optimization:
      ema:
      - 0.996
      - 1.0
      epochs: 300
      final_lr: 1.0e-06
      final_weight_decay: 0.4
      ipe_scale: 1.0
      lr: 0.001
      start_lr: 0.0002
      warmup: 40
      weight_decay: 0.04
    """

    static let officialKeys: Set<String> = [
        "data.batch_size", "data.color_jitter_strength", "data.crop_scale", "data.crop_size", "data.image_folder",
        "data.num_workers", "data.pin_mem", "data.root_path", "data.use_color_distortion", "data.use_gaussian_blur",
        "data.use_horizontal_flip", "logging.folder", "logging.write_tag", "mask.allow_overlap", "mask.aspect_ratio",
        "mask.enc_mask_scale", "mask.min_keep", "mask.num_enc_masks", "mask.num_pred_masks", "mask.patch_size",
        "mask.pred_mask_scale", "meta.copy_data", "meta.load_checkpoint", "meta.model_name", "meta.pred_depth",
        "meta.pred_emb_dim", "meta.read_checkpoint", "meta.use_bfloat16", "optimization.ema", "optimization.epochs",
        "optimization.final_lr", "optimization.final_weight_decay", "optimization.ipe_scale", "optimization.lr",
        "optimization.start_lr", "optimization.warmup", "optimization.weight_decay",
    ]

    func testOfficialConfigLoadsUnchangedWithItsValues() throws {
        let c = try PipelineConfig.from(yaml: Self.vith14, source: "in1k_vith14_ep300.yaml")
        let s = c.settings
        XCTAssertEqual(s.meta.encoder.dimensions.embedDim, 1280)
        XCTAssertEqual(s.meta.encoder.dimensions.depth, 32)
        XCTAssertEqual(s.mask.patchSize, 14)
        XCTAssertEqual(s.data.source.cropSize, 224)
        XCTAssertEqual(s.optimization.warmup, 40)
        XCTAssertTrue(s.meta.useBfloat16)
        XCTAssertEqual(s.data.gpuLoader.numWorkers, 10)
    }

    func testEveryOfficialKeyIsMarkedOfficialAndEveryOtherKeyOurs() {
        for f in PipelineSettings.fields {
            if Self.officialKeys.contains(f.path) {
                XCTAssertNotEqual(f.official, .ours, "\(f.path) is an official key")
            } else {
                XCTAssertEqual(f.official, .ours, "\(f.path) is not in the official configs")
            }
        }
        let known = Set(PipelineSettings.fields.map(\.path))
        XCTAssertTrue(Self.officialKeys.isSubset(of: known), "unknown: \(Self.officialKeys.subtracting(known))")
        XCTAssertTrue(PipelineSettings.markdownTable.contains("| `data.num_workers` | `10` |"))
        XCTAssertTrue(PipelineSettings.markdownTable.contains("| ignored on CPU |"))
    }

    func testKeysTheCPUPipelineDoesNotUseOrReadDifferentlyAreSaid() throws {
        let c = try PipelineConfig.from(yaml: Self.vith14, source: "in1k_vith14_ep300.yaml")
        let notes = c.officialNotes.joined(separator: "\n")
        for part in ["data.num_workers", "data.pin_mem", "meta.copy_data", "not used on CPU",
                     "logging.folder", "artifacts/pretrain/<key>/checkpoint.h5"] {
            XCTAssertTrue(notes.contains(part), "notes lack '\(part)': \(notes)")
        }
        XCTAssertFalse(notes.contains("meta.use_bfloat16"), "bfloat16 runs as asked (Pretrain says which route)")
        let plain = try PipelineConfig.from(yaml: "data:\n  root_path: /d\n  image_folder: x\n")
        XCTAssertEqual(plain.officialNotes, [], "a file that sets none of them hears nothing")
    }

    func testImageNetNormalisationNeedsThreeChannels() {
        XCTAssertThrowsError(try PipelineConfig.from(yaml: "data:\n  root_path: /d\n  image_folder: x\nprepare:\n  channels: 1\n  normalization: imagenet\n")) {
            XCTAssertTrue("\($0)".contains("prepare.normalization: imagenet needs prepare.channels 3"), "\($0)")
        }
    }

    func testReadCheckpointIsReadFromLoggingFolderAsOfficially() throws {
        func resolved(_ extra: String) throws -> String? {
            try PipelineConfig.from(yaml: "data:\n  root_path: /d\n  image_folder: x\n" + extra).settings.readCheckpointPath
        }
        XCTAssertEqual(try resolved("meta:\n  read_checkpoint: jepa-latest.pth.tar\nlogging:\n  folder: /logs/run\n"),
                       "/logs/run/jepa-latest.pth.tar")
        XCTAssertEqual(try resolved("meta:\n  read_checkpoint: /abs/c.h5\nlogging:\n  folder: /logs/run\n"), "/abs/c.h5")
        XCTAssertEqual(try resolved("meta:\n  read_checkpoint: c.h5\n"), "c.h5")
        XCTAssertNil(try resolved(""))
    }

    func testAugmentationKeysAddedLaterKeepEarlierArtifactKeys() throws {
        var s = PipelineSettings()
        let before = s.data.loading.keyJSON
        XCTAssertNil(before["data.use_color_distortion"], "at its default a later key is not in the key")
        s.data.loading.useColorDistortion = true
        s.data.loading.colorJitterStrength = 0.5
        XCTAssertEqual(s.data.loading.keyJSON["data.use_color_distortion"], .bool(true))
        XCTAssertEqual(s.data.loading.keyJSON["data.color_jitter_strength"], .double(0.5))
        XCTAssertNotNil(PipelineSettings().values["data.use_gaussian_blur"], "the config record still holds every key")
        s.data.loading.useColorDistortion = false
        XCTAssertNil(s.data.loading.keyJSON["data.color_jitter_strength"], "a strength without the distortion changes nothing")
        XCTAssertNil(s.prepare.keyJSON["prepare.normalization"], "the data's own statistics: Prepare keys as before")
        s.prepare.normalization = .imagenet
        XCTAssertEqual(s.prepare.keyJSON["prepare.normalization"], .string("imagenet"))
    }

    func testModelPresetsAreTheOfficialShapes() {
        XCTAssertTrue(ModelName.vitTiny.dimensions == (192, 12, 3, 4))
        let giant = ModelName.vitGiant.dimensions
        XCTAssertEqual(Int(Double(giant.embedDim) * giant.mlpRatio), 6144, "the MLP width, int(embed x ratio) as in PyTorch")
    }
}
