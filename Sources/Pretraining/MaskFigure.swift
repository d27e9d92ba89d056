import Foundation
import Imaging
import Training

/// A PNG of training images with their masks of step 0 drawn over them:
/// the context block tinted blue, each target block in its own colour.
enum MaskFigure {
    static let colours: [(Float, Float, Float)] = [(1, 0.2, 0.2), (0.2, 0.9, 0.2), (1, 0.85, 0.1), (0.9, 0.3, 0.9),
                                                   (0.2, 0.9, 0.9), (1, 0.55, 0.1)]

    static func write(sampler: MaskSampler, data: TrainingData, count: Int, to path: String) throws {
        let n = min(count, data.count)
        let masks = sampler.sample(step: 0, batch: n)
        let order = data.order(epoch: 0)
        let a = data.attributes, g = a.gridSize
        let scale = max(1, 112 / a.imageSize), side = a.imageSize * scale, pad = 4
        let width = n * (side + pad) + pad, height = side + 2 * pad
        var px = [UInt8](repeating: 255, count: width * height * 3)
        for i in 0..<n {
            let img = try data.image(at: order[i])
            // Which colour tints each grid cell.
            var tint = [(Float, Float, Float)?](repeating: nil, count: g * g)
            for j in 0..<masks.contextCount { tint[Int(masks.context[i * masks.contextCount + j])] = (0.25, 0.45, 1) }
            for m in 0..<masks.masks {
                for j in 0..<masks.targetCount {
                    tint[Int(masks.targets[(m * n + i) * masks.targetCount + j])] = colours[m % colours.count]
                }
            }
            let x0 = pad + i * (side + pad)
            for y in 0..<side {
                for x in 0..<side {
                    let sy = y / scale, sx = x / scale
                    let cell = (sy / a.patchSize) * g + sx / a.patchSize
                    var rgb = (0..<3).map { ch -> Float in
                        Float(img.pixels[(sy * img.width + sx) * img.channels + (img.channels == 3 ? ch : 0)]) / 255
                    }
                    if let t = tint[cell] {
                        rgb = [0.45 * rgb[0] + 0.55 * t.0, 0.45 * rgb[1] + 0.55 * t.1, 0.45 * rgb[2] + 0.55 * t.2]
                    } else {
                        rgb = rgb.map { $0 * 0.35 }  // neither context nor target: dimmed
                    }
                    let o = ((pad + y) * width + x0 + x) * 3
                    for ch in 0..<3 { px[o + ch] = UInt8(max(0, min(255, rgb[ch] * 255))) }
                }
            }
        }
        let png = try ImageCodecs.encodePNG(Image(width: width, height: height, channels: 3, pixels: px))
        try Data(png).write(to: URL(fileURLWithPath: path))
    }
}
