package dev.veilraft.simulator.workload.cashu;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.veilraft.crypto.Hashes;
import dev.veilraft.crypto.secp256k1.CashuBdhke;
import dev.veilraft.crypto.secp256k1.Secp256k1;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * The blinded messages of one mint or swap, with what the wallet needs to unblind the answer:
 * for each output its amount, secret and blinding factor {@code r} (NUT-00). Secrets start with
 * {@code marker}, so the disk scan finds any that reached a disk in plaintext. Randomness comes
 * from the run's seeded generator: the simulator's wallet is a test client, not a real wallet.
 */
public final class BlindedOutputs {
  /** Bytes of randomness in each secret after the marker. */
  static final int SECRET_RANDOM_BYTES = 16;
  /** Attempts to draw a valid scalar (fails with probability about 2^-128 per draw). */
  static final int SCALAR_ATTEMPTS_MAX = 16;

  private record Output(long amount, String secret, byte[] r, byte[] blinded) {}

  private final MintKeys keys;
  private final List<Output> outputs;

  private BlindedOutputs(MintKeys keys, List<Output> outputs) {
    this.keys = keys;
    this.outputs = outputs;
  }

  /** One output per power of two in {@code total} (NUT-00 split). */
  public static BlindedOutputs forAmount(MintKeys keys, long total, String marker, Random random) {
    List<Output> outputs = new ArrayList<>();
    for (int bit = 0; bit < Long.SIZE - 1; bit++) {
      long amount = 1L << bit;
      if ((total & amount) != 0) {
        if (!keys.keys().containsKey(amount)) {
          throw new IllegalArgumentException("keyset " + keys.id() + " has no key for amount " + amount);
        }
        byte[] randomBytes = new byte[SECRET_RANDOM_BYTES];
        random.nextBytes(randomBytes);
        String secret = marker + Hashes.hex(randomBytes);
        byte[] r = scalar(random);
        outputs.add(new Output(amount, secret, r, CashuBdhke.blind(secret.getBytes(StandardCharsets.UTF_8), r)));
      }
    }
    return new BlindedOutputs(keys, outputs);
  }

  private static byte[] scalar(Random random) {
    byte[] r = new byte[Secp256k1.SCALAR_BYTES];
    for (int i = 0; i < SCALAR_ATTEMPTS_MAX; i++) {
      random.nextBytes(r);
      if (Secp256k1.isScalar(r)) {
        return r;
      }
    }
    throw new IllegalStateException("no valid blinding factor in " + SCALAR_ATTEMPTS_MAX + " draws");
  }

  public long total() {
    return outputs.stream().mapToLong(Output::amount).sum();
  }

  public int size() {
    return outputs.size();
  }

  /** NUT-00 {@code BlindedMessage}s for the request body. */
  public ArrayNode toWire() {
    ArrayNode array = JsonNodeFactory.instance.arrayNode();
    for (Output o : outputs) {
      ObjectNode node = array.addObject();
      node.put("amount", o.amount());
      node.put("id", keys.id());
      node.put("B_", Hashes.hex(o.blinded()));
    }
    return array;
  }

  /** What the history records of the outputs at invocation: amount and {@code B_}. */
  public ArrayNode toHistory() {
    ArrayNode array = JsonNodeFactory.instance.arrayNode();
    for (Output o : outputs) {
      ObjectNode node = array.addObject();
      node.put("amount", o.amount());
      node.put("B_", Hashes.hex(o.blinded()));
    }
    return array;
  }

  /** The mint's answer, unblinded: proofs and, for the history, each signature with its DLEQ and Y. */
  public record Unblinded(List<WalletProof> proofs, ArrayNode history) {}

  /**
   * Unblinds the signatures of an answer ({@code signatures}, in output order). A malformed
   * answer (count, amount or key mismatch, a point that does not decode) is an
   * {@link IllegalArgumentException} naming what is wrong; DLEQ proofs are not judged here, the
   * checker verifies every one from the history.
   */
  public Unblinded unblind(JsonNode signatures) {
    if (!signatures.isArray() || signatures.size() != outputs.size()) {
      throw new IllegalArgumentException("the mint answered " + (signatures.isArray() ? signatures.size() : "no")
          + " signatures for " + outputs.size() + " outputs");
    }
    List<WalletProof> proofs = new ArrayList<>();
    ArrayNode history = JsonNodeFactory.instance.arrayNode();
    for (int i = 0; i < outputs.size(); i++) {
      Output o = outputs.get(i);
      JsonNode s = signatures.get(i);
      if (s.path("amount").asLong(-1) != o.amount() || !keys.id().equals(s.path("id").asText())) {
        throw new IllegalArgumentException("signatures[" + i + "] is for amount " + s.path("amount") + " of keyset "
            + s.path("id") + ", asked " + o.amount() + " of " + keys.id());
      }
      byte[] blindSignature = MintKeys.hex(s.path("C_").asText(), "signatures[" + i + "].C_");
      byte[] c = CashuBdhke.unblind(blindSignature, o.r(), keys.keys().get(o.amount()));
      String y = Hashes.hex(CashuBdhke.hashToCurve(o.secret().getBytes(StandardCharsets.UTF_8)));
      proofs.add(new WalletProof(o.amount(), keys.id(), o.secret(), Hashes.hex(c), y));
      ObjectNode h = history.addObject();
      h.put("amount", o.amount());
      h.put("B_", Hashes.hex(o.blinded()));
      h.put("C_", Hashes.hex(blindSignature));
      h.put("e", s.path("dleq").path("e").asText(""));
      h.put("s", s.path("dleq").path("s").asText(""));
      h.put("Y", y);
    }
    return new Unblinded(proofs, history);
  }
}
