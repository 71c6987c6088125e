package dev.veilraft.node;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/** The OpenAPI 3.1 description of the node's HTTP API, a resource of this jar, served at {@value #PATH}. */
public final class OpenApi {
  public static final String PATH = "/v1/openapi.yaml";
  public static final String CONTENT_TYPE = "application/yaml";
  /** Where the description lives on the classpath (node/src/main/resources). */
  public static final String RESOURCE = "/dev/veilraft/node/openapi.yaml";
  private static volatile byte[] document;

  private OpenApi() {}

  /** The description's bytes (read once). */
  public static byte[] document() {
    byte[] bytes = document;
    if (bytes == null) {
      try (InputStream in = OpenApi.class.getResourceAsStream(RESOURCE)) {
        if (in == null) {
          throw new IllegalStateException("resource " + RESOURCE + " is missing from the build");
        }
        bytes = in.readAllBytes();
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read " + RESOURCE, e);
      }
      document = bytes;
    }
    return bytes.clone();
  }
}
