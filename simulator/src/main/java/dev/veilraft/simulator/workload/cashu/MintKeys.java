package dev.veilraft.simulator.workload.cashu;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.veilraft.crypto.Hashes;
import dev.veilraft.crypto.secp256k1.Secp256k1;
import java.util.Collections;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;

/**
 * The mint's active keyset as a wallet sees it: its id, its NUT-02 input fee and the public key
 * {@code K} of each amount. Parsed from a {@code /v1/keys} answer, and written into the history
 * ({@code keys} operation) so the checker verifies signatures against the same keys.
 */
public record MintKeys(String id, long inputFeePpk, Map<Long, byte[]> keys) {
  public MintKeys {
    keys = Collections.unmodifiableMap(new TreeMap<>(keys));
  }

  /** NUT-02: the fee of spending {@code inputs} proofs of this keyset, rounded up to whole sat. */
  public long inputFee(int inputs) {
    return (inputs * inputFeePpk + 999) / 1000;
  }

  /** The first active {@code sat} keyset of a NUT-01 {@code keys} answer, or of the history's {@code keys} value. */
  public static MintKeys parse(JsonNode answer) {
    JsonNode keysets = answer.path("keysets");
    for (JsonNode keyset : keysets) {
      if (keyset.path("active").asBoolean(true) && "sat".equals(keyset.path("unit").asText("sat"))) {
        return fromKeyset(keyset);
      }
    }
    if (answer.has("id") && answer.has("keys")) {
      return fromKeyset(answer);
    }
    throw new IllegalArgumentException("the keys answer has no active sat keyset");
  }

  private static MintKeys fromKeyset(JsonNode keyset) {
    String id = keyset.path("id").asText();
    if (id.isEmpty()) {
      throw new IllegalArgumentException("a keyset without an id");
    }
    Map<Long, byte[]> keys = new TreeMap<>();
    var fields = keyset.path("keys").fields();
    while (fields.hasNext()) {
      var entry = fields.next();
      long amount;
      try {
        amount = Long.parseLong(entry.getKey());
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("keyset " + id + ": amount '" + entry.getKey() + "' is not a number");
      }
      byte[] key = hex(entry.getValue().asText(), "keyset " + id + " key of amount " + amount);
      Secp256k1.checkPoint(key, "keyset " + id + " key of amount " + amount);
      keys.put(amount, key);
    }
    if (keys.isEmpty()) {
      throw new IllegalArgumentException("keyset " + id + " has no keys");
    }
    return new MintKeys(id, keyset.path("input_fee_ppk").asLong(0), keys);
  }

  /** The history form: {@code {"id":..., "input_fee_ppk":..., "keys":{"1":"02..",...}}}. */
  public ObjectNode toJson() {
    ObjectNode node = JsonNodeFactory.instance.objectNode();
    node.put("id", id);
    node.put("input_fee_ppk", inputFeePpk);
    ObjectNode k = node.putObject("keys");
    keys.forEach((amount, key) -> k.put(Long.toString(amount), Hashes.hex(key)));
    return node;
  }

  static byte[] hex(String text, String what) {
    try {
      return HexFormat.of().parseHex(text);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(what + " is not hex", e);
    }
  }
}
