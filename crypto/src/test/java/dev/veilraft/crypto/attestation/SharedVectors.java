package dev.veilraft.crypto.attestation;

import static org.junit.jupiter.api.Assertions.fail;

import dev.veilraft.crypto.NeededInCi;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads the real TEE evidence in shared/vectors, which lives beside the repository and is never
 * copied into it. The Maven build passes its location as {@code veilraft.shared.dir}; without the
 * property, "../shared" relative to the working directory is tried. Absent vectors skip the tests
 * locally and fail them in CI.
 */
public final class SharedVectors {
  private static final Pattern PEM_CERTIFICATE =
      Pattern.compile("-----BEGIN CERTIFICATE-----(.*?)-----END CERTIFICATE-----", Pattern.DOTALL);

  private SharedVectors() {}

  /** The vectors directory; skips (or in CI fails) the calling test when it is absent. */
  public static Path dir() {
    String property = System.getProperty("veilraft.shared.dir");
    Path shared = Path.of(property == null || property.isBlank() ? "../shared" : property);
    Path vectors = shared.resolve("vectors");
    if (!Files.isDirectory(vectors)) {
      String message = "real TEE test vectors are missing: no directory " + vectors.toAbsolutePath()
          + " (set -Dveilraft.shared.dir=<path to shared>)";
      NeededInCi.missing(message, "CI must run these tests");
    }
    return vectors;
  }

  public static byte[] read(String relative) throws IOException {
    Path file = dir().resolve(relative);
    if (!Files.isRegularFile(file)) {
      fail("the vectors directory exists but lacks " + file + " (see shared/vectors/MANIFEST.md)");
    }
    return Files.readAllBytes(file);
  }

  /**
   * One certificate as DER: {@code "file#index"} names the index-th certificate of a PEM file, or
   * the file itself when it is DER.
   */
  public static byte[] certificate(String reference) throws IOException {
    int hash = reference.lastIndexOf('#');
    String file = hash < 0 ? reference : reference.substring(0, hash);
    int index = hash < 0 ? 0 : Integer.parseInt(reference.substring(hash + 1));
    byte[] bytes = read(file);
    String text = new String(bytes, StandardCharsets.US_ASCII);
    if (!text.contains("-----BEGIN CERTIFICATE-----")) {
      if (index != 0) {
        fail(file + " is DER: it holds one certificate, not #" + index);
      }
      return bytes;
    }
    List<byte[]> certs = pemCertificates(text);
    if (index >= certs.size()) {
      fail(file + " holds " + certs.size() + " certificates, not #" + index);
    }
    return certs.get(index);
  }

  static List<byte[]> pemCertificates(String pem) {
    List<byte[]> certs = new ArrayList<>();
    Matcher matcher = PEM_CERTIFICATE.matcher(pem);
    while (matcher.find()) {
      certs.add(Base64.getMimeDecoder().decode(matcher.group(1)));
    }
    return certs;
  }

  /**
   * The COSE document inside dstack's SCALE-encoded VersionedAttestation: two bytes, then the
   * document's length as a SCALE compact integer (two-byte mode: the low two bits are 01, the
   * length is the rest), then the document; app id and configuration follow it.
   */
  public static byte[] dstackCose(byte[] container) {
    int compact = Byte.toUnsignedInt(container[2]) | Byte.toUnsignedInt(container[3]) << 8;
    if ((compact & 0b11) != 0b01 || 4 + (compact >>> 2) >= container.length) {
      fail("not a dstack SCALE container with a two-byte compact length");
    }
    return java.util.Arrays.copyOfRange(container, 4, 4 + (compact >>> 2));
  }
}
