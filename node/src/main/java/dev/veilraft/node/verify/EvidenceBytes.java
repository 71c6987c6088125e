package dev.veilraft.node.verify;

import dev.veilraft.crypto.Hashes;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.regex.Pattern;

/** Evidence as people store it: raw bytes, or the same bytes as hex or base64 text. */
public final class EvidenceBytes {
  private static final Pattern HEX = Pattern.compile("(?:[0-9a-fA-F]{2})+");
  private static final Pattern BASE64 = Pattern.compile("[A-Za-z0-9+/_-]+={0,2}");

  private EvidenceBytes() {}

  /** Raw bytes as they are, or the bytes a hex or base64 text holds. */
  public static byte[] decode(byte[] file) {
    String text = new String(file, StandardCharsets.US_ASCII).replaceAll("\\s+", "");
    if (text.isEmpty() || text.length() * 10L < file.length * 9L) {
      return file; // mostly not text: raw
    }
    if (HEX.matcher(text).matches()) {
      return Hashes.unhex(text);
    }
    if (BASE64.matcher(text).matches()) {
      try {
        return text.contains("-") || text.contains("_") ? Base64.getUrlDecoder().decode(text)
            : Base64.getDecoder().decode(text);
      } catch (IllegalArgumentException e) {
        return file;
      }
    }
    return file;
  }
}
