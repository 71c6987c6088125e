package dev.veilraft.apps.cashu;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.veilraft.crypto.Hashes;
import dev.veilraft.crypto.secp256k1.CashuBdhke;
import dev.veilraft.crypto.secp256k1.Secp256k1;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A minimal Cashu wallet for tests, built on the crypto module's BDHKE: it blinds secrets,
 * checks every blind signature's DLEQ proof against the keyset's published key, unblinds, and
 * checks the resulting proof's DLEQ as a receiver would. Secrets and blinding factors come from a
 * seed, so a test is reproducible.
 */
final class TestWallet {
  static final HexFormat HEX = HexFormat.of();

  /** An output the wallet made: its secret and blinding factor stay with the wallet. */
  record Output(long amount, String keysetId, String secret, byte[] r, byte[] blinded) {
    ObjectNode json() {
      return CashuJson.outputJson(new BlindedMessage(amount, keysetId, blinded));
    }
  }

  /** A proof the wallet holds, with the DLEQ it received. */
  record Held(long amount, String keysetId, String secret, byte[] c) {
    ObjectNode json() {
      return CashuJson.proofJson(new Proof(amount, keysetId, secret, c));
    }

    byte[] y() {
      return CashuBdhke.hashToCurve(Hashes.utf8(secret));
    }
  }

  private final byte[] seed;
  private long counter;
  String keysetId;
  final Map<Long, byte[]> keys = new TreeMap<>();

  TestWallet(String seedLabel) {
    this.seed = Hashes.sha256(Hashes.utf8(seedLabel));
  }

  /** Loads the active keyset from a GET /v1/keys answer and checks its v1 id as cashu-ts does. */
  void loadKeys(JsonNode keysAnswer) {
    JsonNode keyset = keysAnswer.path("keysets").get(0);
    keysetId = keyset.path("id").asText();
    keys.clear();
    for (Map.Entry<String, JsonNode> entry : keyset.path("keys").properties()) {
      keys.put(Long.parseLong(entry.getKey()), HEX.parseHex(entry.getValue().asText()));
    }
    byte[] concatenated = Hashes.concat(keys.values().toArray(new byte[0][]));
    assertThat(keysetId).isEqualTo("00" + Hashes.hex(Hashes.sha256(concatenated)).substring(0, 14));
  }

  /** Fresh outputs for the given amounts. */
  List<Output> outputs(long... amounts) {
    List<Output> outputs = new ArrayList<>();
    for (long amount : amounts) {
      long n = counter++;
      String secret = Hashes.hex(Hashes.sha256(seed, Hashes.u64(n), Hashes.utf8("secret")));
      byte[] r = Secp256k1.deriveScalar(seed, "test/r", Hashes.u64(n));
      outputs.add(new Output(amount, keysetId, secret, r, CashuBdhke.blind(Hashes.utf8(secret), r)));
    }
    return outputs;
  }

  /** Outputs for {@code total} split into powers of two, ascending. */
  List<Output> outputsFor(long total) {
    List<Long> amounts = new ArrayList<>();
    for (int bit = 0; bit < 63; bit++) {
      if ((total & (1L << bit)) != 0) {
        amounts.add(1L << bit);
      }
    }
    return outputs(amounts.stream().mapToLong(Long::longValue).toArray());
  }

  /** Checks each signature's DLEQ and unblinds it into a proof; {@code signatures} are in output order. */
  List<Held> unblind(List<Output> outputs, JsonNode signatures) {
    assertThat(signatures.size()).isLessThanOrEqualTo(outputs.size());
    List<Held> held = new ArrayList<>();
    for (int i = 0; i < signatures.size(); i++) {
      JsonNode signature = signatures.get(i);
      Output output = outputs.get(i);
      long amount = signature.path("amount").asLong();
      byte[] mintKey = keys.get(amount);
      assertThat(mintKey).as("key for amount %s", amount).isNotNull();
      byte[] blindSignature = HEX.parseHex(signature.path("C_").asText());
      CashuBdhke.Dleq dleq = new CashuBdhke.Dleq(HEX.parseHex(signature.path("dleq").path("e").asText()),
          HEX.parseHex(signature.path("dleq").path("s").asText()));
      assertThat(CashuBdhke.verifyDleq(mintKey, output.blinded(), blindSignature, dleq)).as("DLEQ of signature %s", i)
          .isTrue();
      byte[] c = CashuBdhke.unblind(blindSignature, output.r(), mintKey);
      assertThat(CashuBdhke.verifyProofDleq(mintKey, Hashes.utf8(output.secret()), c, output.r(), dleq))
          .as("proof DLEQ %s", i).isTrue();
      held.add(new Held(amount, signature.path("id").asText(), output.secret(), c));
    }
    return held;
  }

  static ArrayNode proofsJson(List<Held> proofs) {
    ArrayNode array = CashuJson.array();
    proofs.forEach(p -> array.add(p.json()));
    return array;
  }

  static ArrayNode outputsJson(List<Output> outputs) {
    ArrayNode array = CashuJson.array();
    outputs.forEach(o -> array.add(o.json()));
    return array;
  }

  static ObjectNode swapBody(List<Held> inputs, List<Output> outputs) {
    ObjectNode body = CashuJson.object();
    body.set("inputs", proofsJson(inputs));
    body.set("outputs", outputsJson(outputs));
    return body;
  }

  static long total(List<Held> proofs) {
    return proofs.stream().mapToLong(Held::amount).sum();
  }
}
