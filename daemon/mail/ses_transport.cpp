#include "mail/ses_transport.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/serialize.hpp>

#include <vrnum/time.hpp>

#include "mail/ses_answer.hpp"
#include "net/http_client.hpp"
#include "net/sigv4.hpp"

namespace vrnumd::mail {
namespace {

namespace asio = boost::asio;
constexpr std::string_view send_path = "/v2/email/outbound-emails";

boost::json::object utf8_text(const std::string& s) {
    return {{"Data", s}, {"Charset", "UTF-8"}};
}

std::string send_email_body(const outgoing_mail& m) {
    std::string from = format_mailbox(m.from);
    // Encoded words of a long display name are folded; SES wants the value on one line.
    for (std::size_t p; (p = from.find("\r\n")) != std::string::npos;) {
        from.erase(p, 2);
    }
    boost::json::object simple{
        {"Subject", utf8_text(m.content.subject)},
        {"Body", {{"Text", utf8_text(m.content.text)}, {"Html", utf8_text(m.content.html)}}}};
    boost::json::object o{{"FromEmailAddress", from},
                          {"Destination", {{"ToAddresses", boost::json::array{m.to.address}}}},
                          {"Content", {{"Simple", std::move(simple)}}}};
    return boost::json::serialize(o);
}

class ses_transport final : public transport {
  public:
    ses_transport(asio::any_io_executor ex, const ses_config& cfg, const http_client_config& http)
        : client_(std::move(ex), http),
          url_(ses_base_url(cfg) + std::string(send_path)),
          region_(cfg.region),
          cred_{cfg.access_key_id, cfg.secret_access_key, {}} {
        auto parts = net::http_client::parse_url(url_);
        if (!parts) {
            throw std::runtime_error("mail.ses.endpoint: " + parts.error().message());
        }
        authority_ = parts->authority();
    }

    asio::awaitable<send_result> send(const outgoing_mail& m) override {
        net::http_request req;
        req.method = "POST";
        req.url = url_;
        req.body = send_email_body(m);
        req.headers = {{"Host", authority_}, {"Content-Type", "application/json"}};
        auto signed_req =
            net::sigv4_sign({req.method, std::string(send_path), "", req.headers, req.body}, cred_,
                            region_, "ses", net::amz_date(vrnum::now_unix_ms()));
        if (!signed_req) {
            co_return send_result{send_result::outcome::retry,
                                  "signing failed: " + signed_req.error().message()};
        }
        for (auto& h : signed_req->added_headers) {
            req.headers.push_back(std::move(h));
        }
        req.headers.emplace_back("Authorization", signed_req->authorization);
        auto [ec, res] =
            co_await client_.async_send(std::move(req), asio::as_tuple(asio::use_awaitable));
        if (ec) {
            co_return send_result{send_result::outcome::retry,
                                  res.error_detail.empty() ? ec.message() : res.error_detail};
        }
        co_return classify_ses_answer(res.status, res.header("x-amzn-ErrorType"), res.body);
    }

    void erase(const std::vector<std::string>&) override {}  // sent mail cannot be recalled

    std::string_view name() const override { return "ses"; }

  private:
    net::http_client client_;
    std::string url_;
    std::string authority_;
    std::string region_;
    net::aws_credentials cred_;
};

}  // namespace

std::string ses_base_url(const ses_config& cfg) {
    if (!cfg.endpoint.empty()) {
        std::string e = cfg.endpoint;
        while (!e.empty() && e.back() == '/') {
            e.pop_back();
        }
        return e;
    }
    return "https://email." + cfg.region + ".amazonaws.com";
}

std::unique_ptr<transport> make_ses_transport(boost::asio::any_io_executor ex,
                                              const ses_config& cfg,
                                              const http_client_config& http) {
    return std::make_unique<ses_transport>(std::move(ex), cfg, http);
}

}  // namespace vrnumd::mail
