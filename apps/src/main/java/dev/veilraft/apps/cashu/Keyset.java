package dev.veilraft.apps.cashu;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.veilraft.crypto.Check;
import dev.veilraft.crypto.Hashes;
import dev.veilraft.crypto.secp256k1.Secp256k1;
import java.nio.ByteBuffer;
import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/**
 * A keyset's public part: its index in the mint, NUT-02 id, unit, whether it signs new outputs,
 * its input fee and one public key per denomination. The private keys are never part of it: they
 * are derived from the group seed when a signature is made ({@link #privateKey}).
 *
 * <p>Key derivation: {@code k(amount) = Secp256k1.deriveScalar(seed, "cashu/keyset",
 * u32 index || u64 amount)} (big-endian). Id: NUT-02 version 1 ({@code "00"} and the first 14
 * hex characters of SHA-256 over the compressed public keys in amount order). The v2 id of the
 * current NUT-02 text ({@code "01"} ‖ SHA-256 of {@code "amount:key,...|unit:sat|input_fee_ppk:100"})
 * is verified differently by cashu-ts 3.0–3.5 and by 3.6+ and not at all by 2.x, while every
 * cashu-ts from 2.x to 5.x (and nutshell, cdk) verifies v1 ids, so the mint issues v1 ids.
 */
public record Keyset(int index, String id, String unit, boolean active, int inputFeePpk, Map<Long, byte[]> keys) {
  static final String KEY_LABEL = "cashu/keyset";

  public Keyset {
    TreeMap<Long, byte[]> copy = new TreeMap<>();
    keys.forEach((amount, key) -> copy.put(amount, key.clone()));
    keys = Collections.unmodifiableMap(copy);
  }

  /** Derives keyset {@code index} from the group seed: every replica gets the same keys and id. */
  public static Keyset derive(byte[] seed, int index) {
    Check.argument(index >= 0, "keyset index must be >= 0, got " + index);
    TreeMap<Long, byte[]> keys = new TreeMap<>();
    for (int exponent = 0; exponent <= MintParameters.AMOUNT_EXPONENT_MAX; exponent++) {
      long amount = 1L << exponent;
      byte[] k = privateKey(seed, index, amount);
      try {
        keys.put(amount, Secp256k1.publicKey(k));
      } finally {
        java.util.Arrays.fill(k, (byte) 0);
      }
    }
    return new Keyset(index, idV1(keys), MintParameters.UNIT, true, MintParameters.INPUT_FEE_PPK, keys);
  }

  /** The private key of one denomination; the caller zeroes it after use. */
  public static byte[] privateKey(byte[] seed, int index, long amount) {
    byte[] context = ByteBuffer.allocate(Integer.BYTES + Long.BYTES).putInt(index).putLong(amount).array();
    return Secp256k1.deriveScalar(seed, KEY_LABEL, context);
  }

  /** NUT-02 keyset id version 1: "00" and 14 hex characters of SHA-256 over the keys in amount order. */
  public static String idV1(Map<Long, byte[]> keys) {
    byte[][] ordered = new TreeMap<>(keys).values().toArray(new byte[0][]);
    return "00" + Hashes.hex(Hashes.sha256(Hashes.concat(ordered))).substring(0, 14);
  }

  /** The public key for {@code amount}, or null when it is no denomination of this keyset. */
  public byte[] key(long amount) {
    byte[] key = keys.get(amount);
    return key == null ? null : key.clone();
  }

  /** NUT-01/02 keyset object: id, unit, active, input_fee_ppk, final_expiry and, if asked, keys. */
  public ObjectNode toJson(boolean withKeys) {
    ObjectNode node = CashuJson.object();
    node.put("id", id);
    node.put("unit", unit);
    node.put("active", active);
    node.put("input_fee_ppk", inputFeePpk);
    node.putNull("final_expiry");
    if (withKeys) {
      ObjectNode keysNode = node.putObject("keys");
      keys.forEach((amount, key) -> keysNode.put(Long.toString(amount), CashuJson.hex(key)));
    }
    return node;
  }

  /** The stored form: {@link #toJson} with keys plus the index. */
  ObjectNode toRecord() {
    ObjectNode node = toJson(true);
    node.put("index", index);
    return node;
  }

  /** Reads a stored record, or (index -1) a NUT-01 keyset with keys as the keys query answers. */
  static Keyset fromRecord(JsonNode node) throws MintRefusal {
    TreeMap<Long, byte[]> keys = new TreeMap<>();
    JsonNode keysNode = CashuJson.field(node, "keys", "keyset");
    for (Map.Entry<String, JsonNode> entry : keysNode.properties()) {
      // Keys were checked when the keyset was made (stored) or come from the replicated app (front end):
      // decoding the hex is enough, and avoids 33 point decompressions per request.
      byte[] key = CashuJson.hex(entry.getValue().asText(), Secp256k1.POINT_BYTES);
      if (key == null) {
        throw CashuJson.malformed("keyset key for " + CashuJson.clip(entry.getKey()) + " is not 33 bytes of hex");
      }
      keys.put(Long.parseLong(entry.getKey()), key);
    }
    int index = CashuJson.absent(node, "index") ? -1 : (int) CashuJson.amount(node, "index", "keyset");
    return new Keyset(index, CashuJson.keysetId(node, "id", "keyset"),
        CashuJson.string(node, "unit", "keyset", 16), CashuJson.bool(node, "active", "keyset"),
        (int) CashuJson.amount(node, "input_fee_ppk", "keyset"), keys);
  }
}
