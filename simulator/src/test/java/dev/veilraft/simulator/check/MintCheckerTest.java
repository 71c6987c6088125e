package dev.veilraft.simulator.check;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.veilraft.crypto.Hashes;
import dev.veilraft.crypto.secp256k1.CashuBdhke;
import dev.veilraft.crypto.secp256k1.Secp256k1;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class MintCheckerTest {
  private static final JsonNodeFactory J = JsonNodeFactory.instance;
  /** The mint's private key for amount 8 (test value), and its public key. */
  private static final byte[] K8 = Hashes.sha256(Hashes.utf8("mint-checker-test-k8"));
  private static final byte[] R = Hashes.sha256(Hashes.utf8("mint-checker-test-r"));
  private final MintChecker checker = new MintChecker();

  /** A keys op, an ok mint of one 8-sat output (signed with {@code k}), and the proof's Y. */
  private static Histories mintedEight(Histories h, int p, String secret, byte[] k) {
    ObjectNode keys = J.objectNode().put("id", "00aa").put("input_fee_ppk", 100);
    keys.putObject("keys").put("8", Hashes.hex(Secp256k1.publicKey(K8)));
    byte[] blinded = CashuBdhke.blind(secret.getBytes(StandardCharsets.UTF_8), R);
    byte[] signature = CashuBdhke.sign(k, blinded);
    CashuBdhke.Dleq dleq = CashuBdhke.proveDleq(k, blinded, signature);
    ObjectNode argument = J.objectNode().put("amount", 8);
    argument.putArray("outputs").addObject().put("amount", 8).put("B_", Hashes.hex(blinded));
    ObjectNode result = J.objectNode();
    result.putArray("signatures").addObject().put("amount", 8).put("B_", Hashes.hex(blinded))
        .put("C_", Hashes.hex(signature)).put("e", Hashes.hex(dleq.e())).put("s", Hashes.hex(dleq.s()))
        .put("Y", y(secret));
    return h.invoke(p, "keys", null, null, 0).ok(p, "keys", null, keys, 1)
        .invoke(p, "mint", "q1", argument, 2).ok(p, "mint", "q1", result, 3);
  }

  private static String y(String secret) {
    return Hashes.hex(CashuBdhke.hashToCurve(secret.getBytes(StandardCharsets.UTF_8)));
  }

  private static ObjectNode spend(String y, long amount, long out) {
    ObjectNode argument = J.objectNode();
    argument.putArray("inputs").addObject().put("amount", amount).put("Y", y);
    ArrayNode outputs = argument.putArray("outputs");
    if (out > 0) {
      outputs.addObject().put("amount", out).put("B_", "02aa");
    }
    return argument;
  }

  private static ObjectNode books(long minted, long melted, long outstanding, long fees) {
    return J.objectNode().put("minted", minted).put("melted", melted).put("fees_kept", fees)
        .put("outstanding", outstanding).put("balanced", minted == melted + outstanding + fees);
  }

  @Test
  void aSignatureWithAValidDleqProofPasses() {
    // Proves the DLEQ checker accepts a genuine NUT-12 proof made with the recorded key.
    Verdict v = checker.check(mintedEight(new Histories(), 0, "s1", K8).ops()).get(0);
    assertThat(v.passed()).as(v.detail()).isTrue();
    assertThat(v.detail()).startsWith("1 signatures");
  }

  @Test
  void aSignatureMadeWithAnotherKeyFailsTheDleqCheck() {
    // Proves a mint signing with a key other than the one it published is caught by its DLEQ proof.
    byte[] other = Hashes.sha256(Hashes.utf8("another key"));
    Verdict v = checker.check(mintedEight(new Histories(), 0, "s1", other).ops()).get(0);
    assertThat(v.passed()).isFalse();
    assertThat(v.detail()).contains("DLEQ proof").contains("does not verify");
  }

  @Test
  void aProofAcceptedByTwoSwapsIsADoubleSpend() {
    // Proves two acknowledged swaps of one Y, through different processes, fail the spent-once check.
    String y = y("s1");
    Histories h = mintedEight(new Histories(), 0, "s1", K8);
    h.invoke(1, "swap", null, spend(y, 8, 7).put("contested", true), 10)
        .invoke(2, "swap", null, spend(y, 8, 7).put("contested", true), 11)
        .ok(1, "swap", null, J.objectNode(), 12).ok(2, "swap", null, J.objectNode(), 13);
    Verdict v = checker.check(h.ops()).get(1);
    assertThat(v.passed()).isFalse();
    assertThat(v.detail()).contains("spent twice").contains(y);
  }

  @Test
  void aContestWonByOneSidePassesAndAnUnpaidMeltSpendsNothing() {
    // Proves one winner of a contested pair is fine, and a melt answered UNPAID does not count as a spend.
    String y = y("s1");
    Histories h = mintedEight(new Histories(), 0, "s1", K8);
    h.invoke(1, "melt", "m1", spend(y, 8, 0).put("amount", 4).put("fee_reserve", 2), 5)
        .ok(1, "melt", "m1", J.objectNode().put("state", "UNPAID"), 6)
        .invoke(2, "swap", null, spend(y, 8, 7).put("contested", true), 10)
        .invoke(3, "swap", null, spend(y, 8, 7).put("contested", true), 11)
        .ok(2, "swap", null, J.objectNode(), 12).fail(3, "swap", null, null, 13);
    Verdict v = checker.check(h.ops()).get(1);
    assertThat(v.passed()).as(v.detail()).isTrue();
    assertThat(v.detail()).contains("1 double-spend attempts through two nodes, 1 won by exactly one side");
  }

  @Test
  void theBooksMustBalanceAndMatchTheHistory() {
    // Proves the books checker passes consistent books and fails books that minted more than the history allows.
    String y = y("s1");
    ObjectNode held = J.objectNode();
    held.putArray("proofs").addObject().put("Y", y).put("amount", 8).put("held", true);
    ObjectNode unspent = J.objectNode();
    unspent.putArray("states").addObject().put("Y", y).put("state", "UNSPENT");
    Histories good = mintedEight(new Histories(), 0, "s1", K8)
        .invoke(5, "checkstate", null, held, 20).ok(5, "checkstate", null, unspent, 21)
        .invoke(6, "accounting", null, null, 22).ok(6, "accounting", null, books(8, 0, 8, 0), 23);
    Verdict pass = checker.check(good.ops()).get(2);
    assertThat(pass.passed()).as(pass.detail()).isTrue();

    Histories inflated = mintedEight(new Histories(), 0, "s1", K8)
        .invoke(5, "checkstate", null, held, 20).ok(5, "checkstate", null, unspent, 21)
        .invoke(6, "accounting", null, null, 22).ok(6, "accounting", null, books(16, 0, 16, 0), 23);
    Verdict fail = checker.check(inflated.ops()).get(2);
    assertThat(fail.passed()).isFalse();
    assertThat(fail.detail()).contains("minted 16 is outside [8, 8]");
  }

  @Test
  void aHeldProofThatIsSpentFailsTheBooks() {
    // Proves a proof the wallet never gave away must read UNSPENT on every node.
    String y = y("s1");
    ObjectNode held = J.objectNode();
    held.putArray("proofs").addObject().put("Y", y).put("amount", 8).put("held", true);
    ObjectNode spent = J.objectNode();
    spent.putArray("states").addObject().put("Y", y).put("state", "SPENT");
    Histories h = mintedEight(new Histories(), 0, "s1", K8)
        .invoke(5, "checkstate", null, held, 20).ok(5, "checkstate", null, spent, 21)
        .invoke(6, "accounting", null, null, 22).ok(6, "accounting", null, books(8, 0, 0, 8), 23);
    List<Verdict> verdicts = checker.check(h.ops());
    assertThat(verdicts.get(2).passed()).isFalse();
    assertThat(verdicts.get(2).detail()).contains("still holds").contains("SPENT");
  }
}
