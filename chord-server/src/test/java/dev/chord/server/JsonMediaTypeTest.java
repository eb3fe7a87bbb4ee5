package dev.chord.server;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class JsonMediaTypeTest {
  @ParameterizedTest
  @ValueSource(
      strings = {
        "application/json",
        "Application/JSON",
        "application/json; charset=utf-8",
        "application/json;charset=UTF-8",
        "application/json; charset=\"utf-8\"",
        "application/json; profile=x",
        "application/json;",
        "application/merge-patch+json",
        "application/vnd.api+json; charset=utf-8"
      })
  void accepts_jsonInUtf8(String type) {
    assertThat(JsonMediaType.accepts(type)).isTrue();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        "text/plain",
        "text/json",
        "application/jsonx",
        "application/x-json",
        "application/json-seq",
        "application/+json",
        "application/x+json+xml",
        "text/x+json",
        "application/json; charset=iso-8859-1",
        "application/json; charset=utf-16",
        "application/json; charset=",
        "application/json; garbage",
        "application/ json",
        "application/x y+json",
        "multipart/form-data; boundary=x"
      })
  void refuses_everythingElse(String type) {
    assertThat(JsonMediaType.accepts(type)).isFalse();
  }
}
