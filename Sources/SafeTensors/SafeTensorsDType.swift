/// The element types of the safetensors format, spelled as in its header.
/// Sub-byte types (F4, F6_*) are not listed: their tensors have no whole
/// byte size per element, and nothing here produces them.
public enum SafeTensorsDType: String, Sendable {
    case bool = "BOOL"
    case u8 = "U8", i8 = "I8"
    case f8E5M2 = "F8_E5M2", f8E4M3 = "F8_E4M3", f8E8M0 = "F8_E8M0"
    case u16 = "U16", i16 = "I16", f16 = "F16", bf16 = "BF16"
    case u32 = "U32", i32 = "I32", f32 = "F32"
    case u64 = "U64", i64 = "I64", f64 = "F64", c64 = "C64"

    public var byteSize: Int {
        switch self {
        case .bool, .u8, .i8, .f8E5M2, .f8E4M3, .f8E8M0: 1
        case .u16, .i16, .f16, .bf16: 2
        case .u32, .i32, .f32: 4
        case .u64, .i64, .f64, .c64: 8
        }
    }
}
