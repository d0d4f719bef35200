// Content-Type matching for the sources: case, parameters, whitespace, hostile values.

#include "sources/media_type.hpp"

#include <gtest/gtest.h>

namespace {

using vrnum::detail::is_form_media_type;
using vrnum::detail::is_json_media_type;
using vrnum::detail::media_type_of;

TEST(media_type, strips_parameters_and_whitespace) {
    EXPECT_EQ(media_type_of("application/json"), "application/json");
    EXPECT_EQ(media_type_of(" application/json ; charset=utf-8"), "application/json");
    EXPECT_EQ(media_type_of("\ttext/plain;"), "text/plain");
    EXPECT_EQ(media_type_of(""), "");
    EXPECT_EQ(media_type_of(";charset=utf-8"), "");
}

TEST(media_type, json_types) {
    for (const char* yes :
         {"application/json", "APPLICATION/JSON", "application/json; charset=UTF-8",
          "application/cloudevents+json", "application/vnd.api+JSON;x=1"}) {
        EXPECT_TRUE(is_json_media_type(yes)) << yes;
    }
    for (const char* no :
         {"", "json", "text/plain", "application/jsonp", "application/x-json5", "application/+json",
          "/json", "application/", "+json", "application/x-www-form-urlencoded", "text/json+xml"}) {
        EXPECT_FALSE(is_json_media_type(no)) << no;
    }
}

TEST(media_type, form_type) {
    EXPECT_TRUE(is_form_media_type("application/x-www-form-urlencoded"));
    EXPECT_TRUE(is_form_media_type("Application/X-WWW-Form-Urlencoded; charset=utf-8"));
    EXPECT_FALSE(is_form_media_type("multipart/form-data; boundary=x"));
    EXPECT_FALSE(is_form_media_type("application/json"));
    EXPECT_FALSE(is_form_media_type(std::string(100000, 'a')));
}

}  // namespace
