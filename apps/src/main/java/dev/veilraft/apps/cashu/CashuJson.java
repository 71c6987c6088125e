package dev.veilraft.apps.cashu;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.veilraft.crypto.secp256k1.Secp256k1;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * Strict JSON for the Cashu wire protocol and the app's own requests: one parser configuration
 * (bounded depth, number length and size; duplicate keys and trailing data refused) and readers
 * that name the offending field in their refusal ({@link MintError#MALFORMED}). Unknown fields
 * are ignored, as the NUTs allow. Shared by the front end (fast reject) and the replicated app
 * (the authority), so both judge input alike. Deterministic and thread-safe.
 */
public final class CashuJson {
  /** Nesting depth of any accepted document. */
  public static final int NESTING_DEPTH_MAX = 16;
  /** Characters in one JSON number: an amount never needs more than 16 digits. */
  public static final int NUMBER_CHARS_MAX = 32;
  /** Bytes of any accepted document; the front end bounds request bodies by this too. */
  public static final int DOCUMENT_BYTES_MAX = 256 * 1024;
  /** Keyset ids are 16 (v1) or 66 (v2) hex characters. */
  public static final int KEYSET_ID_CHARS_MAX = 66;

  private static final HexFormat HEX = HexFormat.of();
  private static final ObjectMapper MAPPER = JsonMapper.builder(JsonFactory.builder()
          .streamReadConstraints(StreamReadConstraints.builder()
              .maxNestingDepth(NESTING_DEPTH_MAX)
              .maxNumberLength(NUMBER_CHARS_MAX)
              .maxStringLength(DOCUMENT_BYTES_MAX)
              .maxDocumentLength(DOCUMENT_BYTES_MAX)
              .build())
          .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
          .build())
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
      .build();

  private CashuJson() {}

  /** A fresh object node for building responses and requests. */
  public static ObjectNode object() {
    return JsonNodeFactory.instance.objectNode();
  }

  public static ArrayNode array() {
    return JsonNodeFactory.instance.arrayNode();
  }

  /** Compact UTF-8 JSON; the same node always gives the same bytes. */
  public static byte[] write(JsonNode node) {
    try {
      return MAPPER.writeValueAsBytes(node);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a JSON tree failed to serialize: " + e.getOriginalMessage(), e);
    }
  }

  /** Parses a JSON object; anything else (bad syntax, another type, too deep or large) is refused. */
  public static ObjectNode parseObject(byte[] json, String what) throws MintRefusal {
    if (json == null || json.length == 0) {
      throw malformed(what + " is empty; expected a JSON object");
    }
    if (json.length > DOCUMENT_BYTES_MAX) {
      throw malformed(what + " is " + json.length + " bytes, over DOCUMENT_BYTES_MAX " + DOCUMENT_BYTES_MAX);
    }
    JsonNode node;
    try {
      node = MAPPER.readTree(json);
    } catch (JsonProcessingException e) {
      throw malformed(what + " is not valid JSON: " + e.getOriginalMessage());
    } catch (IOException | RuntimeException e) {
      throw malformed(what + " is not valid JSON (" + e.getClass().getSimpleName() + ")");
    }
    if (node == null || !node.isObject()) {
      throw malformed(what + " must be a JSON object");
    }
    return (ObjectNode) node;
  }

  public static MintRefusal malformed(String detail) {
    return new MintRefusal(MintError.MALFORMED, detail);
  }

  /** A required field. */
  public static JsonNode field(JsonNode object, String name, String where) throws MintRefusal {
    JsonNode value = object.get(name);
    if (value == null || value.isNull()) {
      throw malformed(where + "." + name + " is missing");
    }
    return value;
  }

  /** True when the field is absent or null. */
  public static boolean absent(JsonNode object, String name) {
    JsonNode value = object.get(name);
    return value == null || value.isNull();
  }

  /** An integer 0 .. {@link MintParameters#JSON_INTEGER_MAX}: no fractions, exponents, strings or negatives. */
  public static long amount(JsonNode object, String name, String where) throws MintRefusal {
    JsonNode value = field(object, name, where);
    if (!value.isIntegralNumber()) {
      throw malformed(where + "." + name + " must be a JSON integer, got " + kind(value));
    }
    if (!value.canConvertToLong() || value.longValue() < 0 || value.longValue() > MintParameters.JSON_INTEGER_MAX) {
      throw malformed(where + "." + name + " must be 0.." + MintParameters.JSON_INTEGER_MAX + ", got "
          + clip(value.asText()));
    }
    return value.longValue();
  }

  /** A non-negative integer up to {@link Long#MAX_VALUE}: for the mint's own cumulative counters, never for input. */
  static long counter(JsonNode object, String name, String where) throws MintRefusal {
    JsonNode value = field(object, name, where);
    if (!value.isIntegralNumber() || !value.canConvertToLong() || value.longValue() < 0) {
      throw malformed(where + "." + name + " must be a non-negative 64-bit integer");
    }
    return value.longValue();
  }

  public static boolean bool(JsonNode object, String name, String where) throws MintRefusal {
    JsonNode value = field(object, name, where);
    if (!value.isBoolean()) {
      throw malformed(where + "." + name + " must be true or false, got " + kind(value));
    }
    return value.booleanValue();
  }

  /** A string of 1 .. {@code maxBytes} UTF-8 bytes, well-formed (no unpaired surrogates). */
  public static String string(JsonNode object, String name, String where, int maxBytes) throws MintRefusal {
    JsonNode value = field(object, name, where);
    if (!value.isTextual()) {
      throw malformed(where + "." + name + " must be a string, got " + kind(value));
    }
    String text = value.textValue();
    if (text.isEmpty()) {
      throw malformed(where + "." + name + " is empty");
    }
    int bytes = utf8Length(text, where + "." + name);
    if (bytes > maxBytes) {
      throw malformed(where + "." + name + " is " + bytes + " bytes, over the limit of " + maxBytes);
    }
    return text;
  }

  /** A keyset id: hex, 2 .. {@link #KEYSET_ID_CHARS_MAX} characters, as sent (case kept: ids match exactly). */
  public static String keysetId(JsonNode object, String name, String where) throws MintRefusal {
    String id = string(object, name, where, KEYSET_ID_CHARS_MAX);
    if (id.length() < 2 || id.length() % 2 != 0 || !isHex(id)) {
      throw malformed(where + "." + name + " must be a hex keyset id, got '" + clip(id) + "'");
    }
    return id;
  }

  /** A compressed secp256k1 point in hex (66 characters) that lies on the curve. */
  public static byte[] point(JsonNode object, String name, String where) throws MintRefusal {
    JsonNode value = field(object, name, where);
    if (!value.isTextual()) {
      throw malformed(where + "." + name + " must be a hex string, got " + kind(value));
    }
    return pointHex(value.textValue(), where + "." + name);
  }

  /** A compressed point from hex, checked to be on the curve. */
  public static byte[] pointHex(String hex, String what) throws MintRefusal {
    byte[] bytes = hex(hex, Secp256k1.POINT_BYTES);
    if (bytes == null) {
      throw malformed(what + " must be " + (2 * Secp256k1.POINT_BYTES) + " hex characters (a compressed point)");
    }
    if (!Secp256k1.isPoint(bytes)) {
      throw malformed(what + " is not a point on secp256k1");
    }
    return bytes;
  }

  /** Exactly {@code length} bytes from hex, or null. */
  public static byte[] hex(String hex, int length) {
    if (hex == null || hex.length() != 2 * length || !isHex(hex)) {
      return null;
    }
    return HEX.parseHex(hex);
  }

  public static String hex(byte[] bytes) {
    return HEX.formatHex(bytes);
  }

  /** A required array of at most {@code max} elements; more is {@code tooMany}. */
  public static JsonNode array(JsonNode object, String name, String where, int max, MintError tooMany)
      throws MintRefusal {
    JsonNode value = field(object, name, where);
    if (!value.isArray()) {
      throw malformed(where + "." + name + " must be an array, got " + kind(value));
    }
    if (value.size() > max) {
      throw new MintRefusal(tooMany, where + "." + name + " has " + value.size() + " elements, at most " + max);
    }
    return value;
  }

  /** NUT-00 proofs: amount, id, secret, C. Extra fields (dleq, witness) are ignored. */
  public static List<Proof> proofs(JsonNode object, String name, String where) throws MintRefusal {
    JsonNode array = array(object, name, where, MintParameters.INPUTS_MAX, MintError.TOO_MANY_INPUTS);
    List<Proof> proofs = new ArrayList<>(array.size());
    for (int i = 0; i < array.size(); i++) {
      String at = where + "." + name + "[" + i + "]";
      JsonNode p = element(array, i, at);
      proofs.add(new Proof(amount(p, "amount", at), keysetId(p, "id", at),
          string(p, "secret", at, MintParameters.SECRET_BYTES_MAX), point(p, "C", at)));
    }
    return proofs;
  }

  /** NUT-00 blinded messages: amount, id, B_. */
  public static List<BlindedMessage> outputs(JsonNode object, String name, String where) throws MintRefusal {
    JsonNode array = array(object, name, where, MintParameters.OUTPUTS_MAX, MintError.TOO_MANY_OUTPUTS);
    List<BlindedMessage> outputs = new ArrayList<>(array.size());
    for (int i = 0; i < array.size(); i++) {
      String at = where + "." + name + "[" + i + "]";
      JsonNode m = element(array, i, at);
      outputs.add(new BlindedMessage(amount(m, "amount", at), keysetId(m, "id", at), point(m, "B_", at)));
    }
    return outputs;
  }

  private static JsonNode element(JsonNode array, int i, String at) throws MintRefusal {
    JsonNode element = array.get(i);
    if (!element.isObject()) {
      throw malformed(at + " must be an object, got " + kind(element));
    }
    return element;
  }

  public static ObjectNode proofJson(Proof proof) {
    ObjectNode node = object();
    node.put("amount", proof.amount());
    node.put("id", proof.keysetId());
    node.put("secret", proof.secret());
    node.put("C", hex(proof.c()));
    return node;
  }

  public static ObjectNode outputJson(BlindedMessage message) {
    ObjectNode node = object();
    node.put("amount", message.amount());
    node.put("id", message.keysetId());
    node.put("B_", hex(message.blinded()));
    return node;
  }

  /** A NUT-00 blind signature with its NUT-12 DLEQ proof. */
  public static ObjectNode signatureJson(BlindSignature signature) {
    ObjectNode node = object();
    node.put("id", signature.keysetId());
    node.put("amount", signature.amount());
    node.put("C_", hex(signature.c()));
    ObjectNode dleq = node.putObject("dleq");
    dleq.put("e", hex(signature.dleqE()));
    dleq.put("s", hex(signature.dleqS()));
    return node;
  }

  public static ArrayNode signaturesJson(List<BlindSignature> signatures) {
    ArrayNode array = array();
    signatures.forEach(s -> array.add(signatureJson(s)));
    return array;
  }

  private static boolean isHex(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
        return false;
      }
    }
    return true;
  }

  private static int utf8Length(String text, String what) throws MintRefusal {
    try {
      ByteBuffer encoded = StandardCharsets.UTF_8.newEncoder().onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT).encode(CharBuffer.wrap(text));
      return encoded.remaining();
    } catch (CharacterCodingException e) {
      throw malformed(what + " is not well-formed Unicode (an unpaired surrogate)");
    }
  }

  private static String kind(JsonNode value) {
    return value.getNodeType().name().toLowerCase(java.util.Locale.ROOT);
  }

  /** Untrusted text for a refusal: at most 32 characters, control characters replaced. */
  static String clip(String untrusted) {
    String cut = untrusted.length() > 32 ? untrusted.substring(0, 32) + "…" : untrusted;
    return cut.replaceAll("\\p{Cntrl}", "?");
  }
}
