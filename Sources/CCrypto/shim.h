// OpenSSL's libcrypto (Debian's libssl-dev), for SHA-256: it uses the CPU's
// SHA instructions, and linking it costs no build time (swift-crypto's
// bundled BoringSSL was most of a clean release build).
#include <openssl/evp.h>
