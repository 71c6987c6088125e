package dev.veilraft.apps;

import java.nio.charset.StandardCharsets;

/** An app front end's answer to one HTTP request: status, content type and body. */
public record HttpAnswer(int status, String contentType, byte[] body) {
  public static HttpAnswer json(int status, String json) {
    return new HttpAnswer(status, "application/json", json.getBytes(StandardCharsets.UTF_8));
  }
}
