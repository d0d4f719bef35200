#include "support/test_cert.hpp"

#include <cstdio>
#include <memory>
#include <stdexcept>
#include <string>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

namespace vrnum::test {
namespace {

template <class T, void (*F)(T*)>
struct deleter {
    void operator()(T* p) const { F(p); }
};
using pkey_ptr = std::unique_ptr<EVP_PKEY, deleter<EVP_PKEY, EVP_PKEY_free>>;
using x509_ptr = std::unique_ptr<X509, deleter<X509, X509_free>>;

void check(bool ok, const char* what) {
    if (!ok) {
        throw std::runtime_error(std::string("test certificate: ") + what);
    }
}

void write_pem(const std::filesystem::path& p, auto&& writer) {
    FILE* f = std::fopen(p.c_str(), "wb");
    check(f != nullptr, "cannot open output");
    bool ok = writer(f) == 1;
    std::fclose(f);
    check(ok, "cannot write PEM");
}

// The first `DNS:` name of a subjectAltName list, else a neutral name.
std::string common_name(const std::string& sans) {
    auto at = sans.find("DNS:");
    if (at == std::string::npos) {
        return "vrnum test";
    }
    at += 4;
    return sans.substr(at, sans.find(',', at) - at);
}

}  // namespace

cert_files make_self_signed(const std::filesystem::path& dir) {
    return make_self_signed_for(dir, "DNS:localhost,IP:127.0.0.1");
}

cert_files make_self_signed_for(const std::filesystem::path& dir, const std::string& sans) {
    pkey_ptr key(EVP_EC_gen("P-256"));
    check(key != nullptr, "key generation");
    x509_ptr cert(X509_new());
    X509_set_version(cert.get(), 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert.get()), -60);
    X509_gmtime_adj(X509_getm_notAfter(cert.get()), 86400);
    X509_set_pubkey(cert.get(), key.get());
    X509_NAME* name = X509_get_subject_name(cert.get());
    std::string cn = common_name(sans);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
    X509_set_issuer_name(cert.get(), name);
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, cert.get(), cert.get(), nullptr, nullptr, 0);
    for (auto [nid, value] : {std::pair{NID_subject_alt_name, sans.c_str()},
                              std::pair{NID_basic_constraints, "critical,CA:TRUE"}}) {
        X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
        check(ext != nullptr, "extension");
        X509_add_ext(cert.get(), ext, -1);
        X509_EXTENSION_free(ext);
    }
    check(X509_sign(cert.get(), key.get(), EVP_sha256()) > 0, "signing");
    cert_files out{dir / "cert.pem", dir / "key.pem"};
    write_pem(out.cert, [&](FILE* f) { return PEM_write_X509(f, cert.get()); });
    write_pem(out.key, [&](FILE* f) {
        return PEM_write_PrivateKey(f, key.get(), nullptr, nullptr, 0, nullptr, nullptr);
    });
    return out;
}

}  // namespace vrnum::test
