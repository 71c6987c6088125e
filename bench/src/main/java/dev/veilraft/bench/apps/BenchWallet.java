package dev.veilraft.bench.apps;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.veilraft.crypto.Hashes;
import dev.veilraft.crypto.secp256k1.CashuBdhke;
import dev.veilraft.crypto.secp256k1.Secp256k1;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A small Cashu wallet (NUT-00/01/03/04/12) for the benchmark: it loads the mint's active sat
 * keyset and checks its id, blinds fresh secrets into outputs, and turns the mint's blind
 * signatures into proofs, checking that each signature answers its output's amount and keyset
 * and, when asked, its DLEQ proof (NUT-12). Secrets and blinding factors derive from a random
 * per-wallet seed. Not thread-safe: one wallet per benchmark client.
 */
final class BenchWallet {
  static final ObjectMapper JSON = new ObjectMapper();
  private static final HexFormat HEX = HexFormat.of();
  private static final int SEED_BYTES = 32;
  private static final int AMOUNT_BITS_MAX = 63;

  /** An output the wallet made; its secret and blinding factor never leave the wallet. */
  record Output(long amount, String secret, byte[] r, byte[] blinded) {}

  /** A proof the wallet holds. */
  record Proof(long amount, String keysetId, String secret, byte[] c) {}

  /** The mint answered something a correct mint never answers; the benchmark stops on it. */
  static final class WalletException extends Exception {
    private static final long serialVersionUID = 1L;

    WalletException(String message) {
      super(message);
    }
  }

  private final byte[] seed = new byte[SEED_BYTES];
  private final String keysetId;
  private final Map<Long, byte[]> keys;
  private long counter;

  private BenchWallet(String keysetId, Map<Long, byte[]> keys) {
    new SecureRandom().nextBytes(seed);
    this.keysetId = keysetId;
    this.keys = keys;
  }

  /** A wallet for the first keyset of a {@code GET /v1/keys} answer, whose v1 id it checks (NUT-02). */
  static BenchWallet forKeys(JsonNode keysAnswer) throws WalletException {
    JsonNode keyset = keysAnswer.path("keysets").path(0);
    String id = keyset.path("id").asText("");
    Map<Long, byte[]> keys = new TreeMap<>();
    for (Map.Entry<String, JsonNode> entry : keyset.path("keys").properties()) {
      keys.put(Long.parseLong(entry.getKey()), HEX.parseHex(entry.getValue().asText()));
    }
    if (keys.isEmpty()) {
      throw new WalletException("GET /v1/keys returned no keyset with keys");
    }
    String expected = "00" + Hashes.hex(Hashes.sha256(Hashes.concat(keys.values().toArray(new byte[0][])))).substring(0, 14);
    if (!expected.equals(id)) {
      throw new WalletException("keyset id " + id + " is not the v1 id of its keys (" + expected + ")");
    }
    return new BenchWallet(id, keys);
  }

  /** Fresh outputs for {@code total} split into powers of two, ascending. */
  List<Output> outputsFor(long total) {
    List<Output> outputs = new ArrayList<>();
    for (int bit = 0; bit < AMOUNT_BITS_MAX; bit++) {
      if ((total & (1L << bit)) != 0) {
        long n = counter++;
        String secret = Hashes.hex(Hashes.sha256(seed, Hashes.u64(n), Hashes.utf8("secret")));
        byte[] r = Secp256k1.deriveScalar(seed, "bench/r", Hashes.u64(n));
        outputs.add(new Output(1L << bit, secret, r, CashuBdhke.blind(Hashes.utf8(secret), r)));
      }
    }
    return outputs;
  }

  /**
   * The proofs for {@code outputs} from the {@code signatures} array of a mint or swap answer, in
   * output order; checks each signature's amount, keyset and, if {@code checkDleq}, its DLEQ proof.
   */
  List<Proof> unblind(List<Output> outputs, JsonNode signatures, boolean checkDleq) throws WalletException {
    if (!signatures.isArray() || signatures.size() != outputs.size()) {
      throw new WalletException("expected " + outputs.size() + " signatures, got "
          + (signatures.isArray() ? signatures.size() : signatures.getNodeType()));
    }
    List<Proof> proofs = new ArrayList<>(outputs.size());
    for (int i = 0; i < outputs.size(); i++) {
      JsonNode signature = signatures.get(i);
      Output output = outputs.get(i);
      if (signature.path("amount").asLong(-1) != output.amount() || !keysetId.equals(signature.path("id").asText())) {
        throw new WalletException("signature " + i + " is for amount " + signature.path("amount") + " keyset "
            + signature.path("id") + ", the output was " + output.amount() + " in " + keysetId);
      }
      byte[] mintKey = keys.get(output.amount());
      byte[] blindSignature = HEX.parseHex(signature.path("C_").asText());
      if (checkDleq) {
        CashuBdhke.Dleq dleq = new CashuBdhke.Dleq(HEX.parseHex(signature.path("dleq").path("e").asText()),
            HEX.parseHex(signature.path("dleq").path("s").asText()));
        if (!CashuBdhke.verifyDleq(mintKey, output.blinded(), blindSignature, dleq)) {
          throw new WalletException("the DLEQ proof of signature " + i + " does not verify");
        }
      }
      proofs.add(new Proof(output.amount(), keysetId, output.secret(),
          CashuBdhke.unblind(blindSignature, output.r(), mintKey)));
    }
    return proofs;
  }

  /** The NUT-03 swap request body. */
  ObjectNode swapBody(List<Proof> inputs, List<Output> outputs) {
    ObjectNode body = JSON.createObjectNode();
    ArrayNode in = body.putArray("inputs");
    for (Proof proof : inputs) {
      in.addObject().put("amount", proof.amount()).put("id", proof.keysetId()).put("secret", proof.secret())
          .put("C", HEX.formatHex(proof.c()));
    }
    body.set("outputs", outputsJson(outputs));
    return body;
  }

  /** The NUT-04 mint request body for a paid quote. */
  ObjectNode mintBody(String quote, List<Output> outputs) {
    ObjectNode body = JSON.createObjectNode().put("quote", quote);
    body.set("outputs", outputsJson(outputs));
    return body;
  }

  private ArrayNode outputsJson(List<Output> outputs) {
    ArrayNode array = JSON.createArrayNode();
    for (Output output : outputs) {
      array.addObject().put("amount", output.amount()).put("id", keysetId).put("B_", HEX.formatHex(output.blinded()));
    }
    return array;
  }
}
