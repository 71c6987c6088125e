package dev.veilraft.apps.nostr;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.veilraft.crypto.Check;
import java.io.IOException;
import java.util.List;

/**
 * The JSON of the Nostr wire: a strict reader (no duplicate keys, no trailing tokens, shallow
 * nesting, short numbers) and a writer whose string escaping is exactly JavaScript's
 * {@code JSON.stringify}, which is what NIP-01 clients (nostr-tools) hash to get an event id.
 *
 * <p>NIP-01 lists seven escapes ({@code \n \" \\ \r \t \b \f}) and says every other character is
 * written verbatim. A raw control character inside a JSON string is not valid JSON, so for the
 * other C0 controls (U+0000..U+001F) and for unpaired UTF-16 surrogates this writer does what
 * {@code JSON.stringify} does: a lowercase {@code \}{@code u00xx} escape. Everything else,
 * DEL, U+2028 and U+2029 included, is written verbatim.
 */
public final class NostrJson {
  /** Deepest nesting any relay message needs: message array, event object, tags, one tag. */
  public static final int nestingDepthMax = 6;
  /** Longest number token read; longer ones ("huge numbers") are refused before conversion. */
  public static final int numberCharsMax = 32;

  private static final ObjectMapper READER = JsonMapper.builder(JsonFactory.builder()
          .streamReadConstraints(StreamReadConstraints.builder()
              .maxNestingDepth(nestingDepthMax).maxNumberLength(numberCharsMax).build())
          .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build())
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS).build();
  private static final char[] HEX = "0123456789abcdef".toCharArray();

  private NostrJson() {}

  /** Parses one JSON document, or fails with a short reason fit for a NOTICE. */
  public static JsonNode read(String text) throws NostrJsonException {
    try {
      JsonNode node = READER.readTree(text);
      if (node == null || node.isMissingNode()) {
        throw new NostrJsonException("message is empty");
      }
      return node;
    } catch (JsonProcessingException e) {
      throw new NostrJsonException("message is not valid JSON: " + Check.printable(e.getOriginalMessage()));
    }
  }

  /** Parses one JSON document from UTF-8 bytes (a committed request), strictly as {@link #read(String)}. */
  public static JsonNode read(byte[] utf8) throws NostrJsonException {
    try {
      JsonNode node = READER.readTree(utf8);
      if (node == null || node.isMissingNode()) {
        throw new NostrJsonException("JSON document is empty");
      }
      return node;
    } catch (JsonProcessingException e) {
      throw new NostrJsonException("not valid JSON: " + Check.printable(e.getOriginalMessage()));
    } catch (IOException e) {
      throw new NostrJsonException("not valid JSON: " + e.getClass().getSimpleName());
    }
  }

  /** Appends {@code value} as a JSON string literal, escaped as {@code JSON.stringify} does. */
  public static StringBuilder quote(StringBuilder out, String value) {
    out.append('"');
    int length = value.length();
    for (int i = 0; i < length; i++) {
      char c = value.charAt(i);
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        case '\b' -> out.append("\\b");
        case '\f' -> out.append("\\f");
        default -> {
          if (c < 0x20) {
            unicodeEscape(out, c);
          } else if (Character.isHighSurrogate(c)) {
            if (i + 1 < length && Character.isLowSurrogate(value.charAt(i + 1))) {
              out.append(c).append(value.charAt(i + 1));
              i++;
            } else {
              unicodeEscape(out, c);
            }
          } else if (Character.isLowSurrogate(c)) {
            unicodeEscape(out, c);
          } else {
            out.append(c);
          }
        }
      }
    }
    return out.append('"');
  }

  /** {@code value} as a JSON string literal. */
  public static String quote(String value) {
    return quote(new StringBuilder(value.length() + 2), value).toString();
  }

  /** Appends a JSON array of strings. */
  public static StringBuilder stringArray(StringBuilder out, List<String> values) {
    out.append('[');
    for (int i = 0; i < values.size(); i++) {
      if (i > 0) {
        out.append(',');
      }
      quote(out, values.get(i));
    }
    return out.append(']');
  }

  private static void unicodeEscape(StringBuilder out, char c) {
    out.append("\\u").append(HEX[(c >> 12) & 0xF]).append(HEX[(c >> 8) & 0xF]).append(HEX[(c >> 4) & 0xF])
        .append(HEX[c & 0xF]);
  }

  /**
   * The UTF-8 length of {@code text} (an unpaired surrogate counting 3 bytes), counting no further
   * than just past {@code max}: enough to tell whether it is over.
   */
  public static long utf8Bytes(String text, long max) {
    if (text.length() > max) {
      return text.length();
    }
    long bytes = 0;
    for (int i = 0; i < text.length() && bytes <= max; i++) {
      char c = text.charAt(i);
      if (c < 0x80) {
        bytes++;
      } else if (c < 0x800) {
        bytes += 2;
      } else if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
        bytes += 4;
        i++;
      } else {
        bytes += 3;
      }
    }
    return bytes;
  }

  /** True when {@code value} is exactly {@code chars} lowercase hexadecimal characters. */
  public static boolean isLowerHex(String value, int chars) {
    if (value == null || value.length() != chars) {
      return false;
    }
    for (int i = 0; i < chars; i++) {
      char c = value.charAt(i);
      if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
        return false;
      }
    }
    return true;
  }

  /** Lowercase hex to bytes; the caller checked it with {@link #isLowerHex}. */
  public static byte[] unhex(String hex) {
    byte[] out = new byte[hex.length() / 2];
    for (int i = 0; i < out.length; i++) {
      out[i] = (byte) ((Character.digit(hex.charAt(2 * i), 16) << 4) | Character.digit(hex.charAt(2 * i + 1), 16));
    }
    return out;
  }

  /** Bytes to lowercase hex. */
  public static String hex(byte[] bytes) {
    char[] out = new char[bytes.length * 2];
    for (int i = 0; i < bytes.length; i++) {
      out[2 * i] = HEX[(bytes[i] >> 4) & 0xF];
      out[2 * i + 1] = HEX[bytes[i] & 0xF];
    }
    return new String(out);
  }

  /** A JSON document or value that is not what the Nostr wire allows; the message says why. */
  public static final class NostrJsonException extends Exception {
    private static final long serialVersionUID = 1L;

    public NostrJsonException(String message) {
      super(message, null, false, false);
    }
  }
}
