import XCTest
@testable import Imaging
import Random

final class AugmentationTests: XCTestCase {
    func randomImage(width: Int = 7, height: Int = 5, channels: Int = 3, seed: UInt64 = 1) -> Image {
        var rng = SeededGenerator(seed: seed)
        let px = (0..<width * height * channels).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        return Image(width: width, height: height, channels: channels, pixels: px)
    }

    func assertWithinOneLevel(_ a: Image, _ b: Image, _ message: String = "", line: UInt = #line) {
        XCTAssertEqual(a.pixels.count, b.pixels.count, line: line)
        let worst = zip(a.pixels, b.pixels).map { abs(Int($0) - Int($1)) }.max() ?? 0
        XCTAssertLessThanOrEqual(worst, 1, message, line: line)
    }

    // MARK: Colour adjustments

    func testIdentityFactorsLeaveAnImageUnchanged() {
        for channels in [1, 3] {
            let img = randomImage(channels: channels)
            XCTAssertEqual(ColorAdjust.brightness(img, factor: 1), img)
            XCTAssertEqual(ColorAdjust.contrast(img, factor: 1), img)
            XCTAssertEqual(ColorAdjust.saturation(img, factor: 1), img)
            XCTAssertEqual(ColorAdjust.hue(img, shift: 0), img)
        }
    }

    func testBrightnessZeroIsBlackAndTwoDoublesAndClamps() {
        let img = Image(width: 2, height: 1, channels: 3, pixels: [10, 100, 200, 0, 127, 128])
        XCTAssertEqual(ColorAdjust.brightness(img, factor: 0).pixels, [0, 0, 0, 0, 0, 0])
        XCTAssertEqual(ColorAdjust.brightness(img, factor: 2).pixels, [20, 200, 255, 0, 254, 255])
    }

    func testContrastZeroIsTheSolidMeanLuminanceRoundedHalfUp() {
        // L of pure red is 76 and of pure blue 29: the mean 52.5 becomes 53.
        let rgb = Image(width: 2, height: 1, channels: 3, pixels: [255, 0, 0, 0, 0, 255])
        XCTAssertEqual(ColorAdjust.contrast(rgb, factor: 0).pixels, [UInt8](repeating: 53, count: 6))
        let gray = Image(width: 2, height: 1, channels: 1, pixels: [10, 11])
        XCTAssertEqual(ColorAdjust.contrast(gray, factor: 0).pixels, [11, 11])
        // Factor 2 extrapolates away from that gray: 53 ± 2·(v − 53), clamped.
        XCTAssertEqual(ColorAdjust.contrast(rgb, factor: 2).pixels, [255, 0, 0, 0, 0, 255])
    }

    func testSaturationZeroEqualsGrayscale() {
        let img = randomImage()
        XCTAssertEqual(ColorAdjust.saturation(img, factor: 0), ColorAdjust.grayscale(img))
    }

    func testHueThirdTurnMapsRedToGreenAndFullTurnIsIdentity() {
        let red = Image(width: 1, height: 1, channels: 3, pixels: [255, 0, 0])
        assertWithinOneLevel(ColorAdjust.hue(red, shift: 1.0 / 3), Image(width: 1, height: 1, channels: 3, pixels: [0, 255, 0]))
        assertWithinOneLevel(ColorAdjust.hue(red, shift: -1.0 / 3), Image(width: 1, height: 1, channels: 3, pixels: [0, 0, 255]))
        let img = randomImage(width: 16, height: 16)
        for turns in [1.0, -1.0, 2.0] { assertWithinOneLevel(ColorAdjust.hue(img, shift: turns), img, "\(turns) turns") }
        // Half a turn twice comes back too.
        assertWithinOneLevel(ColorAdjust.hue(ColorAdjust.hue(img, shift: 0.5), shift: 0.5), img)
    }

    func testHueShiftKeepsValueAndChroma() {
        let img = randomImage(width: 16, height: 16)
        let shifted = ColorAdjust.hue(img, shift: 0.27)
        for i in stride(from: 0, to: img.pixels.count, by: 3) {
            let a = img.pixels[i..<i + 3], b = shifted.pixels[i..<i + 3]
            XCTAssertEqual(a.max(), b.max())
            XCTAssertEqual(a.min(), b.min())
        }
    }

    func testGrayscaleUsesPILLumaWeights() {
        let img = Image(width: 4, height: 1, channels: 3, pixels: [255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 200, 30])
        // 0.299·255 = 76.2, 0.587·255 = 149.7, 0.114·255 = 29.1, 3.0 + 117.4 + 3.4 = 123.8.
        XCTAssertEqual(ColorAdjust.grayscale(img).pixels, [76, 76, 76, 150, 150, 150, 29, 29, 29, 124, 124, 124])
    }

    func testOneChannelImageIsUnchangedBySaturationHueAndGrayscale() {
        let img = randomImage(channels: 1)
        XCTAssertEqual(ColorAdjust.saturation(img, factor: 0), img)
        XCTAssertEqual(ColorAdjust.hue(img, shift: 0.3), img)
        XCTAssertEqual(ColorAdjust.grayscale(img), img)
    }

    func testJitterAppliesTheAdjustmentsInTheGivenOrderThenGrayscale() {
        let img = Image(width: 2, height: 1, channels: 1, pixels: [100, 200])
        // Brightness 2 first: [200, 255], mean 227.5 -> 228. Contrast 0 first: 150, doubled.
        let brightFirst = ColorJitterParameters(jitters: true, brightness: 2, contrast: 0,
                                                order: [.brightness, .contrast, .saturation, .hue])
        XCTAssertEqual(brightFirst.apply(to: img).pixels, [228, 228])
        var contrastFirst = brightFirst
        contrastFirst.order = [.hue, .contrast, .saturation, .brightness]
        XCTAssertEqual(contrastFirst.apply(to: img).pixels, [255, 255])
        var skipped = brightFirst
        skipped.jitters = false
        XCTAssertEqual(skipped.apply(to: img), img)

        let rgb = randomImage()
        let grayOnly = ColorJitterParameters(grayscale: true)
        XCTAssertEqual(grayOnly.apply(to: rgb), ColorAdjust.grayscale(rgb))
        let jitterThenGray = ColorJitterParameters(jitters: true, brightness: 0.5, hue: 0.25, grayscale: true)
        XCTAssertEqual(jitterThenGray.apply(to: rgb),
                       ColorAdjust.grayscale(ColorAdjust.hue(ColorAdjust.brightness(rgb, factor: 0.5), shift: 0.25)))
    }

    // MARK: Gaussian blur

    func testBlurOfAConstantImageIsConstant() {
        let flat = Image(width: 5, height: 4, channels: 3, pixels: [UInt8](repeating: 173, count: 60))
        // Sigma 2 reaches 6 pixels, past every edge of this image.
        for sigma in [0.1, 0.7, 1.0, 2.0] { XCTAssertEqual(GaussianBlur.blur(flat, sigma: sigma), flat, "sigma \(sigma)") }
    }

    func testBlurKeepsTheMeanOfAnImageWithinRounding() {
        // Random content inside a constant border at least as wide as the
        // kernel's reach: edge extension then moves no mass in or out.
        let sigma = 1.5, reach = 5, size = 30
        let inner = randomImage(width: size - 2 * reach, height: size - 2 * reach, channels: 3, seed: 9)
        var px = [UInt8](repeating: 90, count: size * size * 3)
        for y in 0..<inner.height { for x in 0..<inner.width { for ch in 0..<3 {
            px[((y + reach) * size + x + reach) * 3 + ch] = inner.pixels[(y * inner.width + x) * 3 + ch]
        } } }
        let img = Image(width: size, height: size, channels: 3, pixels: px)
        let blurred = GaussianBlur.blur(img, sigma: sigma)
        XCTAssertNotEqual(blurred, img)
        func mean(_ i: Image) -> Double { Double(i.pixels.reduce(0) { $0 + Int($1) }) / Double(i.pixels.count) }
        // Every output sample is within half a level of its exact value.
        XCTAssertEqual(mean(blurred), mean(img), accuracy: 0.5)
    }

    func testBlurOfASinglePixelMatchesTheSeparableGaussian() {
        var px = [UInt8](repeating: 0, count: 81)
        px[40] = 255
        let out = GaussianBlur.blur(Image(width: 9, height: 9, channels: 1, pixels: px), sigma: 1).pixels
        // Taps -3...3, Z = 1 + 2(e^-1/2 + e^-2 + e^-9/2) = 2.50595, w0 = 1/Z = 0.39905,
        // w1 = e^-1/2/Z = 0.24204: centre 255·w0² = 40.61, neighbour 255·w0·w1 = 24.63.
        XCTAssertLessThanOrEqual(abs(Double(out[40]) - 40.61), 1)
        XCTAssertLessThanOrEqual(abs(Double(out[41]) - 24.63), 1)
        XCTAssertEqual([out[39], out[31], out[49]], [out[41], out[41], out[41]])
    }

    // MARK: Draws

    func drawJitters(_ count: Int, strength: Double, seed: UInt64) -> [ColorJitterParameters] {
        var rng = SeededGenerator(seed: seed)
        return (0..<count).map { _ in ColorJitterParameters.draw(strength: strength) { rng.uniform() } }
    }

    func drawSigmas(_ count: Int, seed: UInt64) -> [Double?] {
        var rng = SeededGenerator(seed: seed)
        return (0..<count).map { _ in GaussianBlur.drawSigma { rng.uniform() } }
    }

    func testDrawsAreDeterministicForTheSameSeed() {
        XCTAssertEqual(drawJitters(200, strength: 1, seed: 42), drawJitters(200, strength: 1, seed: 42))
        XCTAssertNotEqual(drawJitters(200, strength: 1, seed: 42), drawJitters(200, strength: 1, seed: 43))
        XCTAssertEqual(drawSigmas(200, seed: 42), drawSigmas(200, seed: 42))
        XCTAssertNotEqual(drawSigmas(200, seed: 42), drawSigmas(200, seed: 43))
    }

    func testJitterDrawRespectsTheProbabilitiesAndFactorRanges() {
        let n = 10_000
        let draws = drawJitters(n, strength: 1, seed: 7)
        XCTAssertEqual(Double(draws.filter(\.jitters).count) / Double(n), 0.8, accuracy: 0.02)
        XCTAssertEqual(Double(draws.filter(\.grayscale).count) / Double(n), 0.2, accuracy: 0.02)
        var orders = Set<[ColorAdjustment]>()
        for p in draws {
            guard p.jitters else {
                XCTAssertEqual(p, ColorJitterParameters(grayscale: p.grayscale))
                continue
            }
            for f in [p.brightness, p.contrast, p.saturation] { XCTAssertTrue((0.2...1.8).contains(f), "\(f)") }
            XCTAssertTrue((-0.2...0.2).contains(p.hue), "\(p.hue)")
            XCTAssertEqual(Set(p.order), Set(ColorAdjustment.allCases))
            orders.insert(p.order)
        }
        XCTAssertEqual(orders.count, 24)
        // Strength 1.5: the factors' lower bound max(0, 1 − 1.2) clips at 0.
        for p in drawJitters(1000, strength: 1.5, seed: 8) where p.jitters {
            XCTAssertTrue((0...2.2).contains(p.brightness) && (-0.3...0.3).contains(p.hue))
        }
        // Strength 0: nothing to jitter.
        for p in drawJitters(100, strength: 0, seed: 9) {
            XCTAssertEqual([p.brightness, p.contrast, p.saturation, p.hue], [1, 1, 1, 0])
        }
    }

    func testBlurDrawRespectsTheProbabilityAndSigmaRange() {
        let n = 10_000
        let sigmas = drawSigmas(n, seed: 7).compactMap { $0 }
        XCTAssertEqual(Double(sigmas.count) / Double(n), 0.5, accuracy: 0.02)
        XCTAssertTrue(sigmas.allSatisfy { (0.1...2.0).contains($0) })
        XCTAssertLessThan(sigmas.min()!, 0.2)
        XCTAssertGreaterThan(sigmas.max()!, 1.9)
    }
}
