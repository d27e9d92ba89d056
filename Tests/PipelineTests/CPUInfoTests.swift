@testable import Pipeline
import XCTest

final class CPUInfoTests: XCTestCase {
    /// A VM's /proc/cpuinfo as the Zen 5 machines of this project show it.
    let zen5 = """
        processor\t: 0
        vendor_id\t: AuthenticAMD
        cpu family\t: 26
        model\t\t: 2
        model name\t: AMD EPYC
        stepping\t: 1
        flags\t\t: fpu avx2 avx512f avx512_bf16

        processor\t: 1
        cpu family\t: 26
        model\t\t: 2
        model name\t: AMD EPYC
        stepping\t: 1
        """

    func testModelNamesFamilyModelAndSteppingWhichTheModelNameAloneDoesNot() {
        XCTAssertEqual(CPUInfo.model(cpuinfo: zen5), "AMD EPYC (family 26 model 2 stepping 1)")
    }

    func testFieldMatchesTheWholeKeyNotAPrefix() {
        XCTAssertEqual(CPUInfo.field("model", in: zen5), "2", "not the model name line")
        XCTAssertEqual(CPUInfo.field("model name", in: zen5), "AMD EPYC")
        XCTAssertNil(CPUInfo.field("mod", in: zen5))
    }

    func testWithoutFamilyTheModelIsTheNameAlone() {
        XCTAssertEqual(CPUInfo.model(cpuinfo: "model name\t: Some CPU\n"), "Some CPU")
        XCTAssertEqual(CPUInfo.model(cpuinfo: ""), "unknown")
    }
}
