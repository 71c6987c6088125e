package dev.veilraft.crypto.attestation;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.veilraft.crypto.Check;
import dev.veilraft.crypto.Hashes;
import java.io.IOException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Intel's TDX collateral as served by the PCS: the TCB info ({@code {"tcbInfo":{...},"signature":
 * "hex"}}) and the TD QE identity ({@code {"enclaveIdentity":{...},"signature":"hex"}}). Intel signs
 * the raw text of the inner object as it appears in the body, so {@link #extractSigned} returns
 * exactly those bytes (never a re-serialisation), and the parsed values are read from the same
 * bytes. Parsing checks shapes and bounds only; signatures, dates and matching are
 * {@link TdxCollateralVerifier} and {@link TdxTcbEvaluator}. Every failure is
 * {@code COLLATERAL_INVALID} with a message naming the field.
 */
final class TdxCollateral {
  /** Bound on a collateral body; TDX TCB info with many levels is about 10 KiB. */
  static final int COLLATERAL_BYTES_MAX = 256 * 1024;
  static final int TCB_LEVELS_MAX = 256;
  static final int MODULE_IDENTITIES_MAX = 64;
  static final int ADVISORY_IDS_MAX = 256;
  static final int TCB_COMPONENTS = 16;
  static final int SIGNATURE_BYTES = 64;
  static final int SVN_MAX = 255;
  static final int U16_MAX = 65535;
  private static final int TEXT_CHARS_MAX = 256;

  private static final JsonFactory STRICT_JSON = JsonFactory.builder()
      .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();
  private static final ObjectMapper MAPPER = JsonMapper.builder(STRICT_JSON).build();

  private TdxCollateral() {}

  /** The signed inner object's exact bytes and the signature (raw r||s) next to it. */
  record Signed(byte[] body, byte[] signature) {}

  /** One TCB level of the TCB info: SGX components and PCESVN from the PCK, TDX components from TEE_TCB_SVN. */
  record TcbLevel(int[] sgxComponents, int pceSvn, int[] tdxComponents, String status, List<String> advisoryIds) {}

  /** One level of an ISVSVN-ordered identity (TDX module identity or QE identity). */
  record IsvSvnLevel(int isvSvn, String status, List<String> advisoryIds) {}

  /** The TDX module Intel signs (tdxModule) or one of its versions (tdxModuleIdentities, "TDX_01", ...). */
  record TdxModule(String id, byte[] mrSigner, byte[] attributes, byte[] attributesMask, List<IsvSvnLevel> levels) {}

  record TcbInfo(String id, int version, Instant issueDate, Instant nextUpdate, byte[] fmspc, byte[] pceId,
      TdxModule tdxModule, List<TdxModule> tdxModuleIdentities, List<TcbLevel> levels) {}

  record QeIdentity(String id, int version, Instant issueDate, Instant nextUpdate, byte[] miscSelect,
      byte[] miscSelectMask, byte[] attributes, byte[] attributesMask, byte[] mrSigner, int isvProdId,
      List<IsvSvnLevel> levels) {}

  /**
   * Splits a PCS body into the exact text of its {@code key} object and the signature. The body
   * must be one JSON object with each key at most once: with two "tcbInfo" members a verifier could
   * check the signature over one and read the other.
   */
  static Signed extractSigned(byte[] body, String key, String what) throws Rejection {
    if (body.length > COLLATERAL_BYTES_MAX) {
      throw invalid(what + " is " + body.length + " bytes; at most " + COLLATERAL_BYTES_MAX + " are accepted");
    }
    int start = -1;
    int end = -1;
    String signatureHex = null;
    try (JsonParser parser = STRICT_JSON.createParser(body)) {
      if (parser.nextToken() != JsonToken.START_OBJECT) {
        throw invalid(what + " is not a JSON object");
      }
      while (parser.nextToken() == JsonToken.FIELD_NAME) {
        String field = parser.currentName();
        JsonToken value = parser.nextToken();
        if (field.equals(key) && value == JsonToken.START_OBJECT) {
          start = (int) parser.currentTokenLocation().getByteOffset();
          parser.skipChildren();
          end = (int) parser.currentLocation().getByteOffset();
        } else if (field.equals("signature") && value == JsonToken.VALUE_STRING) {
          signatureHex = parser.getText();
        } else {
          parser.skipChildren();
        }
      }
      if (parser.currentToken() != JsonToken.END_OBJECT || parser.nextToken() != null) {
        throw invalid(what + " has content after its JSON object");
      }
    } catch (IOException e) {
      throw invalid(what + " is not valid JSON (" + e.getClass().getSimpleName() + ")");
    }
    if (start < 0 || end <= start || end > body.length || body[start] != '{' || body[end - 1] != '}') {
      throw invalid(what + " has no \"" + key + "\" object");
    }
    if (signatureHex == null) {
      throw invalid(what + " has no \"signature\" string");
    }
    return new Signed(Arrays.copyOfRange(body, start, end), hex(signatureHex, SIGNATURE_BYTES, what + " signature"));
  }

  static TcbInfo parseTcbInfo(byte[] json) throws Rejection {
    JsonNode root = tree(json, "TCB info");
    String what = "TCB info";
    List<TdxModule> identities = new ArrayList<>();
    JsonNode identitiesNode = root.get("tdxModuleIdentities");
    if (identitiesNode != null) {
      for (JsonNode node : array(identitiesNode, MODULE_IDENTITIES_MAX, what + " tdxModuleIdentities")) {
        identities.add(tdxModule(node, true, what + " tdxModuleIdentities"));
      }
      requireUniqueIds(identities, what);
    }
    List<TcbLevel> levels = new ArrayList<>();
    for (JsonNode node : array(field(root, "tcbLevels", what), TCB_LEVELS_MAX, what + " tcbLevels")) {
      String level = what + " tcbLevels[" + levels.size() + "]";
      JsonNode tcb = object(field(node, "tcb", level), level + ".tcb");
      levels.add(new TcbLevel(components(tcb, "sgxtcbcomponents", level), integer(tcb, "pcesvn", U16_MAX, level),
          components(tcb, "tdxtcbcomponents", level), text(node, "tcbStatus", level),
          advisories(node, level)));
    }
    if (levels.isEmpty()) {
      throw invalid(what + " has no TCB levels");
    }
    JsonNode module = root.get("tdxModule");
    return new TcbInfo(text(root, "id", what), integer(root, "version", U16_MAX, what), date(root, "issueDate", what),
        date(root, "nextUpdate", what), hex(text(root, "fmspc", what), TdxPckExtensions.FMSPC_BYTES, what + " fmspc"),
        hex(text(root, "pceId", what), TdxPckExtensions.PCE_ID_BYTES, what + " pceId"),
        module == null ? null : tdxModule(module, false, what + " tdxModule"), List.copyOf(identities),
        List.copyOf(levels));
  }

  static QeIdentity parseQeIdentity(byte[] json) throws Rejection {
    JsonNode root = tree(json, "QE identity");
    String what = "QE identity";
    return new QeIdentity(text(root, "id", what), integer(root, "version", U16_MAX, what),
        date(root, "issueDate", what), date(root, "nextUpdate", what),
        hex(text(root, "miscselect", what), TdxQeReport.MISC_SELECT_BYTES, what + " miscselect"),
        hex(text(root, "miscselectMask", what), TdxQeReport.MISC_SELECT_BYTES, what + " miscselectMask"),
        hex(text(root, "attributes", what), TdxQeReport.ATTRIBUTES_BYTES, what + " attributes"),
        hex(text(root, "attributesMask", what), TdxQeReport.ATTRIBUTES_BYTES, what + " attributesMask"),
        hex(text(root, "mrsigner", what), TdxQeReport.MR_BYTES, what + " mrsigner"),
        integer(root, "isvprodid", U16_MAX, what), isvSvnLevels(root, what));
  }

  private static TdxModule tdxModule(JsonNode node, boolean withLevels, String what) throws Rejection {
    object(node, what);
    String id = withLevels ? text(node, "id", what) : "";
    return new TdxModule(id, hex(text(node, "mrsigner", what), TdxQuote.MR_BYTES, what + " mrsigner"),
        hex(text(node, "attributes", what), 8, what + " attributes"),
        hex(text(node, "attributesMask", what), 8, what + " attributesMask"),
        withLevels ? isvSvnLevels(node, what + " " + Check.printable(id)) : List.of());
  }

  private static List<IsvSvnLevel> isvSvnLevels(JsonNode node, String what) throws Rejection {
    List<IsvSvnLevel> levels = new ArrayList<>();
    for (JsonNode level : array(field(node, "tcbLevels", what), TCB_LEVELS_MAX, what + " tcbLevels")) {
      String name = what + " tcbLevels[" + levels.size() + "]";
      JsonNode tcb = object(field(level, "tcb", name), name + ".tcb");
      levels.add(new IsvSvnLevel(integer(tcb, "isvsvn", U16_MAX, name), text(level, "tcbStatus", name),
          advisories(level, name)));
    }
    if (levels.isEmpty()) {
      throw invalid(what + " has no TCB levels");
    }
    return List.copyOf(levels);
  }

  private static int[] components(JsonNode tcb, String name, String what) throws Rejection {
    List<JsonNode> nodes = array(field(tcb, name, what), TCB_COMPONENTS, what + " " + name);
    if (nodes.size() != TCB_COMPONENTS) {
      throw invalid(what + " " + name + " has " + nodes.size() + " components, need " + TCB_COMPONENTS);
    }
    int[] svns = new int[TCB_COMPONENTS];
    for (int i = 0; i < TCB_COMPONENTS; i++) {
      svns[i] = integer(object(nodes.get(i), what + " " + name + "[" + i + "]"), "svn", SVN_MAX,
          what + " " + name + "[" + i + "]");
    }
    return svns;
  }

  private static List<String> advisories(JsonNode level, String what) throws Rejection {
    JsonNode ids = level.get("advisoryIDs");
    if (ids == null) {
      return List.of();
    }
    List<String> out = new ArrayList<>();
    for (JsonNode id : array(ids, ADVISORY_IDS_MAX, what + " advisoryIDs")) {
      if (!id.isTextual() || id.textValue().length() > TEXT_CHARS_MAX) {
        throw invalid(what + " advisoryIDs holds something other than a short string");
      }
      out.add(id.textValue());
    }
    return List.copyOf(out);
  }

  private static JsonNode tree(byte[] json, String what) throws Rejection {
    try {
      return object(MAPPER.readTree(json), what);
    } catch (IOException e) {
      throw invalid(what + " is not valid JSON (" + e.getClass().getSimpleName() + ")");
    }
  }

  private static JsonNode field(JsonNode node, String name, String what) throws Rejection {
    JsonNode value = node.get(name);
    if (value == null || value.isNull()) {
      throw invalid(what + " lacks \"" + name + "\"");
    }
    return value;
  }

  private static JsonNode object(JsonNode node, String what) throws Rejection {
    if (node == null || !node.isObject()) {
      throw invalid(what + " is not a JSON object");
    }
    return node;
  }

  private static List<JsonNode> array(JsonNode node, int max, String what) throws Rejection {
    if (!node.isArray()) {
      throw invalid(what + " is not a JSON array");
    }
    if (node.size() > max) {
      throw invalid(what + " has " + node.size() + " entries; at most " + max + " are accepted");
    }
    List<JsonNode> out = new ArrayList<>(node.size());
    node.forEach(out::add);
    return out;
  }

  private static String text(JsonNode node, String name, String what) throws Rejection {
    JsonNode value = field(node, name, what);
    if (!value.isTextual() || value.textValue().length() > TEXT_CHARS_MAX) {
      throw invalid(what + " \"" + name + "\" is not a short string");
    }
    return value.textValue();
  }

  private static int integer(JsonNode node, String name, int max, String what) throws Rejection {
    JsonNode value = field(node, name, what);
    if (!value.isIntegralNumber() || !value.canConvertToInt() || value.intValue() < 0 || value.intValue() > max) {
      throw invalid(what + " \"" + name + "\" is " + Check.printable(value.toString()) + ", need an integer 0.." + max);
    }
    return value.intValue();
  }

  private static Instant date(JsonNode node, String name, String what) throws Rejection {
    String text = text(node, name, what);
    try {
      return Instant.parse(text);
    } catch (DateTimeParseException e) {
      throw invalid(what + " \"" + name + "\" is '" + Check.printable(text) + "', not an ISO-8601 UTC time");
    }
  }

  static byte[] hex(String text, int bytes, String what) throws Rejection {
    if (text.length() != 2 * bytes) {
      throw invalid(what + " must be " + bytes + " bytes of hex, got " + text.length() + " characters");
    }
    try {
      return Hashes.unhex(text);
    } catch (IllegalArgumentException e) {
      throw invalid(what + " is not hex: '" + Check.printable(text) + "'");
    }
  }

  /** Names that must be unique across a list (tdxModuleIdentities ids), compared case-insensitively. */
  static void requireUniqueIds(List<TdxModule> modules, String what) throws Rejection {
    Set<String> seen = new HashSet<>();
    for (TdxModule module : modules) {
      if (!seen.add(module.id().toUpperCase(Locale.ROOT))) {
        throw invalid(what + " lists TDX module identity '" + Check.printable(module.id()) + "' twice");
      }
    }
  }

  private static Rejection invalid(String message) {
    return new Rejection(RejectReason.COLLATERAL_INVALID, message);
  }
}
