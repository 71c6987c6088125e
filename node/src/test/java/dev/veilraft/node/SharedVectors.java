package dev.veilraft.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;

/**
 * The real TEE evidence in {@code ../shared/vectors} (or {@code -Dveilraft.shared.dir}): never
 * copied into the repository. Absent, a test skips with a message, except in CI, where it fails.
 */
public final class SharedVectors {
  private SharedVectors() {}

  /** The vector file at {@code relative} (see shared/vectors/MANIFEST.md). */
  public static Path file(String relative) {
    String property = System.getProperty("veilraft.shared.dir");
    Path vectors = Path.of(property == null || property.isBlank() ? "../shared" : property).resolve("vectors");
    if (!Files.isDirectory(vectors)) {
      String message = "real TEE test vectors are missing: no directory " + vectors.toAbsolutePath();
      String ci = System.getenv("CI");
      if (ci != null && !ci.isBlank() && !ci.equalsIgnoreCase("false")) {
        fail(message + "; CI must run these tests");
      }
      Assumptions.assumeTrue(false, message);
    }
    Path file = vectors.resolve(relative);
    assertThat(file).as("vector file (see shared/vectors/MANIFEST.md)").isRegularFile();
    return file;
  }
}
