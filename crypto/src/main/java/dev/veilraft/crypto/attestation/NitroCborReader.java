package dev.veilraft.crypto.attestation;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.dataformat.cbor.CBORFactory;
import com.fasterxml.jackson.dataformat.cbor.CBORParser;
import dev.veilraft.crypto.Check;
import java.io.IOException;

/**
 * A strict, bounded reader of one CBOR item over Jackson's streaming {@link CBORParser}, for the
 * Nitro attestation document. Jackson alone is too lenient for evidence: it turns integer map keys
 * into strings (so {@code 1} and {@code "1"} look alike, and the key 2^64-1 reads as "-1"), decodes
 * bignum tags into numbers silently and reports nested tags as one. So every token's CBOR major
 * type is also checked on the raw byte where the token starts, which rejects tags, floats, simple
 * values and keys of the wrong type. Values are read from the current token; {@link #advance}
 * moves on. Every failure is a {@link MalformedReportException} naming the item; Jackson's own
 * exceptions never escape. Not thread-safe (one reader per parse).
 */
final class NitroCborReader implements AutoCloseable {
  /** Bound on container nesting; the document itself needs 3 (array, payload map, pcrs map). */
  static final int NESTING_DEPTH_MAX = 8;

  static final int MAJOR_UINT = 0;
  static final int MAJOR_NEGATIVE_INT = 1;
  static final int MAJOR_BYTES = 2;
  static final int MAJOR_TEXT = 3;
  static final int MAJOR_ARRAY = 4;
  static final int MAJOR_MAP = 5;
  static final int MAJOR_TAG = 6;
  private static final int NULL_BYTE = 0xF6;

  // The reader counts depth itself, so the bound and its message do not depend on which Jackson
  // versions enforce the constraint for CBOR; Jackson's limit, one deeper, is only a backstop.
  private static final CBORFactory FACTORY = CBORFactory.builder()
      .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(NESTING_DEPTH_MAX + 1).build())
      .disable(StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION)
      .build();

  /** A map key: a text string or an integer (COSE labels are either). */
  record Key(boolean text, String name) {
    @Override
    public String toString() {
      return text ? "\"" + Check.printable(name) + "\"" : name;
    }
  }

  private final byte[] bytes;
  private final String what;
  private final CBORParser parser;
  private JsonToken token;
  private int depth;

  private NitroCborReader(byte[] bytes, String what, CBORParser parser) {
    this.bytes = bytes;
    this.what = what;
    this.parser = parser;
  }

  /** A reader over {@code bytes}, which the caller must not modify; {@code what} names them in errors. */
  static NitroCborReader over(byte[] bytes, String what) throws MalformedReportException {
    try {
      return new NitroCborReader(bytes, what, FACTORY.createParser(bytes));
    } catch (IOException | RuntimeException e) {
      throw malformed(what + " cannot be read as CBOR (" + describe(e) + ")");
    }
  }

  /** Moves to the next token; the end of input here means the item is truncated. */
  void advance() throws MalformedReportException {
    token = nextToken();
    if (token == null) {
      throw malformed(what + " is truncated");
    }
    if (token == JsonToken.START_ARRAY || token == JsonToken.START_OBJECT) {
      depth++;
      if (depth > NESTING_DEPTH_MAX) {
        throw malformed(what + " nests containers deeper than " + NESTING_DEPTH_MAX);
      }
    } else if (token == JsonToken.END_ARRAY || token == JsonToken.END_OBJECT) {
      depth--;
    }
  }

  JsonToken token() {
    return token;
  }

  /** After the root item: nothing may follow it (CBOR sequences and trailing garbage are refused). */
  void finish() throws MalformedReportException {
    Check.invariant(depth == 0, "finish() is called after the root item's last token");
    JsonToken extra = nextToken();
    if (extra != null) {
      throw malformed(what + " has trailing bytes after its CBOR item (at offset "
          + parser.currentTokenLocation().getByteOffset() + " of " + bytes.length + ")");
    }
  }

  /** The current token starts a map (definite or indefinite length). */
  void requireMap(String field) throws MalformedReportException {
    requireToken(field, JsonToken.START_OBJECT, MAJOR_MAP, "a map");
  }

  /** The current token starts an array (definite or indefinite length). */
  void requireArray(String field) throws MalformedReportException {
    requireToken(field, JsonToken.START_ARRAY, MAJOR_ARRAY, "an array");
  }

  /** Whether the current token closes the map being read. */
  boolean atMapEnd() {
    return token == JsonToken.END_OBJECT;
  }

  /** Whether the current token closes the array being read. */
  boolean atArrayEnd() {
    return token == JsonToken.END_ARRAY;
  }

  /** The current token as a map key: a text string or an integer in the signed 64-bit range. */
  Key key(String map) throws MalformedReportException {
    if (token != JsonToken.FIELD_NAME) {
      throw malformed(map + " key expected, got " + token);
    }
    String name = currentName(map);
    int major = majorType();
    if (major == MAJOR_TEXT) {
      return new Key(true, name);
    }
    if (major == MAJOR_UINT || major == MAJOR_NEGATIVE_INT) {
      // Jackson renders integer keys as decimal text; out of range it wraps (2^64-1 reads as "-1"),
      // so the sign must agree with the major type.
      boolean negative = name.startsWith("-");
      if (negative != (major == MAJOR_NEGATIVE_INT) || !isLong(name)) {
        throw malformed(map + " has an integer key outside the signed 64-bit range");
      }
      return new Key(false, name);
    }
    throw malformed(map + " has a key of CBOR major type " + major + "; only text and integer keys are allowed");
  }

  /** The current token as a byte string of {@code min..max} bytes. */
  byte[] bytes(String field, int min, int max) throws MalformedReportException {
    if (token != JsonToken.VALUE_EMBEDDED_OBJECT || majorType() != MAJOR_BYTES) {
      throw wrongType(field, "a byte string");
    }
    byte[] value;
    try {
      value = parser.getBinaryValue();
    } catch (IOException | RuntimeException e) {
      throw malformed(field + " cannot be read (" + describe(e) + ")");
    }
    if (value == null || value.length < min || value.length > max) {
      throw malformed(field + " is " + (value == null ? "absent" : value.length + " bytes") + "; expected "
          + (min == max ? Integer.toString(min) : min + " to " + max));
    }
    return value;
  }

  /** The current token as null (returns null) or a byte string of {@code min..max} bytes. */
  byte[] bytesOrNull(String field, int min, int max) throws MalformedReportException {
    if (token == JsonToken.VALUE_NULL && rawByte() == NULL_BYTE) {
      return null;
    }
    return bytes(field, min, max);
  }

  /** The current token as a text string of {@code min..max} characters. */
  String text(String field, int min, int max) throws MalformedReportException {
    if (token != JsonToken.VALUE_STRING || majorType() != MAJOR_TEXT) {
      throw wrongType(field, "a text string");
    }
    String value;
    try {
      value = parser.getText();
    } catch (IOException | RuntimeException e) {
      throw malformed(field + " cannot be read as UTF-8 text (" + describe(e) + ")");
    }
    if (value == null || value.length() < min || value.length() > max) {
      throw malformed(field + " is " + (value == null ? "absent" : value.length() + " characters") + "; expected "
          + min + " to " + max);
    }
    return value;
  }

  /** The current token as an integer (unsigned or negative) in the signed 64-bit range. */
  long integer(String field) throws MalformedReportException {
    int major = majorType();
    if (token != JsonToken.VALUE_NUMBER_INT || (major != MAJOR_UINT && major != MAJOR_NEGATIVE_INT)) {
      throw wrongType(field, "an integer");
    }
    try {
      JsonParser.NumberType type = parser.getNumberType();
      if (type != JsonParser.NumberType.INT && type != JsonParser.NumberType.LONG) {
        throw malformed(field + " is outside the signed 64-bit range");
      }
      return parser.getLongValue();
    } catch (IOException | RuntimeException e) {
      throw malformed(field + " cannot be read as an integer (" + describe(e) + ")");
    }
  }

  /** The current token as an unsigned integer in 0..2^63-1. */
  long unsigned(String field) throws MalformedReportException {
    if (majorType() != MAJOR_UINT) {
      throw wrongType(field, "an unsigned integer");
    }
    long value = integer(field);
    if (value < 0) {
      throw malformed(field + " is outside 0..2^63-1");
    }
    return value;
  }

  /**
   * Skips the current value, whatever it is, within the nesting bound. Tags are refused even
   * here: nothing in a Nitro document is tagged, and a tag hides the real type of what follows.
   */
  void skipValue(String field) throws MalformedReportException {
    int major = majorType();
    if (major == MAJOR_TAG) {
      throw wrongType(field, "an untagged value");
    }
    if (token != JsonToken.START_ARRAY && token != JsonToken.START_OBJECT) {
      return;
    }
    int end = depth - 1;
    while (depth > end) {
      advance();
      if (token == JsonToken.FIELD_NAME) {
        key(field);
      } else if (token != JsonToken.END_ARRAY && token != JsonToken.END_OBJECT && majorType() == MAJOR_TAG) {
        throw wrongType(field, "untagged values");
      }
    }
  }

  /** The CBOR major type of the byte where the current token starts (tags are major type 6). */
  int majorType() {
    return rawByte() >>> 5;
  }

  /** Byte offset in the input where the current token starts. */
  long tokenOffset() {
    return parser.currentTokenLocation().getByteOffset();
  }

  private int rawByte() {
    long offset = tokenOffset();
    if (offset < 0 || offset >= bytes.length) {
      // An end marker of a definite-length container has no byte of its own; callers never ask
      // for its type, and an impossible value makes any type check fail.
      return 0xFF;
    }
    return Byte.toUnsignedInt(bytes[(int) offset]);
  }

  private void requireToken(String field, JsonToken expected, int major, String description)
      throws MalformedReportException {
    if (token != expected || majorType() != major) {
      throw wrongType(field, description);
    }
  }

  private String currentName(String map) throws MalformedReportException {
    try {
      return parser.currentName();
    } catch (IOException | RuntimeException e) {
      throw malformed(map + " key cannot be read (" + describe(e) + ")");
    }
  }

  private JsonToken nextToken() throws MalformedReportException {
    try {
      return parser.nextToken();
    } catch (IOException | RuntimeException e) {
      // Jackson reports bad CBOR as IOException subtypes; a RuntimeException from it on hostile
      // input is a Jackson bug, and must still not escape as anything but malformed evidence.
      throw malformed(what + " is not well-formed CBOR (" + describe(e) + ")");
    }
  }

  private MalformedReportException wrongType(String field, String expected) {
    return malformed(field + " must be " + expected + ", got " + typeName());
  }

  private String typeName() {
    if (token == JsonToken.FIELD_NAME || token == JsonToken.END_OBJECT || token == JsonToken.END_ARRAY) {
      return String.valueOf(token);
    }
    return switch (majorType()) {
      case MAJOR_UINT -> "an unsigned integer";
      case MAJOR_NEGATIVE_INT -> "a negative integer";
      case MAJOR_BYTES -> "a byte string";
      case MAJOR_TEXT -> "a text string";
      case MAJOR_ARRAY -> "an array";
      case MAJOR_MAP -> "a map";
      case MAJOR_TAG -> "a tagged value (tag byte 0x" + Integer.toHexString(rawByte()) + ")";
      default -> rawByte() == NULL_BYTE ? "null" : "a simple value or float (0x" + Integer.toHexString(rawByte()) + ")";
    };
  }

  private static boolean isLong(String decimal) {
    try {
      Long.parseLong(decimal);
      return true;
    } catch (NumberFormatException e) {
      return false;
    }
  }

  private static String describe(Exception e) {
    String message = e instanceof JsonProcessingException json ? json.getOriginalMessage() : e.getMessage();
    String firstLine = message == null ? e.getClass().getSimpleName() : message.lines().findFirst().orElse("");
    return Check.printable(firstLine);
  }

  static MalformedReportException malformed(String message) {
    return new MalformedReportException(RejectReason.MALFORMED, message);
  }

  @Override
  public void close() {
    try {
      parser.close();
    } catch (IOException | RuntimeException e) {
      // Closing a parser over a byte array releases buffers only; nothing can be lost.
    }
  }
}
